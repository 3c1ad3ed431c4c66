// rls: what tenant isolation costs a feed read. The API's own feed verb (its one self-scoping
// statement: the function switches to app_tenant with the organisation set, row-level security
// on) against the very same query on a bypass path (the read's statement prepared directly: no
// function, no role switch, the system policy open), 50 concurrent readers over one pool of 10
// connections each way, taken in turns.
import { SQL as BunSql } from "bun";
import { loadConfig } from "../../src/config/env.ts";
import { createDatabase } from "../../src/db/client.ts";
import { createLogger } from "../../src/lib/logger.ts";
import { feedPageRead } from "../../src/modules/activity/activity.reads.ts";
import { createActivityService } from "../../src/modules/activity/activity.service.ts";
import type { Org } from "../support/dataset.ts";
import { type Figure, noiseOf, type ScenarioOptions } from "../support/figures.ts";
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
    const statement = feedPageRead.statement({ typed: false, withContext: false });
    const client = bypass.db.$client;
    const paths = {
      withOrg: (org: Org) => feed.page(memberOf(org), { limit: 50 }),
      // The first page's statement uses only $1 and $2.
      bypass: (org: Org) => (client instanceof BunSql ? client.unsafe(statement, [org.id, 50]) : client.query(statement, [org.id, 50])),
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
      ours: `${round(withOrg, 0)} feed reads/s through the API's read (RLS on)`,
      floor: `${round(direct, 0)} reads/s, same query on a bypass path`,
      ratio: `${extra >= 0 ? "+" : "−"}${round(Math.abs(extra) * 100, 0)} %`,
      target: "≤ 0 % (the safe read no slower than the unsafe one)",
      met: extra <= 0,
      note: `rounds (reads/s): ours ${rates.withOrg.map((r) => round(r, 0)).join("/")}, bypass ${rates.bypass.map((r) => round(r, 0)).join("/")}`,
      noisy: noiseOf({ bypass: rates.bypass, ours: rates.withOrg }),
    };
  } finally {
    if (bypass !== tenant) await bypass.close();
    await tenant.close();
  }
}
