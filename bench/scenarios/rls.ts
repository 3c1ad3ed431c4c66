// rls: what tenant isolation costs a feed read. The API's own feed verb (withOrg: a transaction
// as app_tenant with the organisation set, row-level security on) against the very same query
// on a bypass path (no transaction, no role switch, the system policy open), 50 concurrent
// readers over one pool of 10 connections each way, taken in turns.
import { loadConfig } from "../../src/config/env.ts";
import { createDatabase } from "../../src/db/client.ts";
import { queryRows } from "../../src/db/sql.ts";
import { createLogger } from "../../src/lib/logger.ts";
import { feedPage } from "../../src/modules/activity/activity.queries.ts";
import { createActivityService } from "../../src/modules/activity/activity.service.ts";
import type { Org } from "../support/dataset.ts";
import type { Figure, ScenarioOptions } from "../support/figures.ts";
import { memberOf, readsPerSecond } from "../support/reads.ts";
import { median, round } from "../support/stats.ts";

const silent = createLogger("silent");

export async function rlsFigure({ dataset, quick }: ScenarioOptions): Promise<Figure> {
  const env = dataset.apiEnv();
  const tenant = await createDatabase(loadConfig(env).config, silent);
  // The bypass path: the floors' connection, which row-level security does not bind.
  const bypass = dataset.bypassUrl ? await createDatabase(loadConfig({ ...env, DATABASE_URL: dataset.bypassUrl }).config, silent) : tenant; // embedded: the superuser, whom row-level security never binds
  try {
    const feed = createActivityService({ db: tenant.db, logger: createLogger("silent") });
    const paths = {
      withOrg: (org: Org) => feed.page(memberOf(org), { limit: 50 }),
      bypass: (org: Org) => queryRows(bypass.db, feedPage(org.id, { limit: 50 })),
    };
    const rate = (read: (org: Org) => Promise<unknown>) => readsPerSecond(read, dataset.regular, quick ? 2 : 5);
    await rate(paths.withOrg);
    await rate(paths.bypass);
    const rates = { withOrg: [] as number[], bypass: [] as number[] };
    for (let i = 0; i < (quick ? 1 : 3); i++) {
      rates.withOrg.push(await rate(paths.withOrg));
      rates.bypass.push(await rate(paths.bypass));
    }
    const withOrg = median(rates.withOrg);
    const direct = median(rates.bypass);
    const extra = direct / withOrg - 1;
    return {
      name: "rls",
      ours: `${round(withOrg, 0)} feed reads/s through withOrg`,
      floor: `${round(direct, 0)} reads/s, same query on a bypass path`,
      ratio: `+${round(extra * 100, 0)} %`,
      target: "≤ +20 %",
      met: extra <= 0.2,
    };
  } finally {
    if (bypass !== tenant) await bypass.close();
    await tenant.close();
  }
}
