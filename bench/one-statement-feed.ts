// What the `rls` and `feed` targets would take: the feed read as ONE statement, through a
// plpgsql function that switches to app_tenant and sets the organisation itself (a function's
// queries are planned after its own set_config, so row-level security binds them), against the
// API's feed verb (BEGIN, scope, query, COMMIT pipelined: four protocol cycles on Bun's client)
// and the same query on the bypass path. 50 concurrent readers, one pool of 10 each way, three
// rounds taken in turns. The function lives only in this run's scratch database.
//
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres bun bench/one-statement-feed.ts
import { sql } from "drizzle-orm";
import { loadConfig } from "../src/config/env.ts";
import { createDatabase } from "../src/db/client.ts";
import { queryRows } from "../src/db/sql.ts";
import { createLogger } from "../src/lib/logger.ts";
import { feedPage } from "../src/modules/activity/activity.queries.ts";
import { createActivityService } from "../src/modules/activity/activity.service.ts";
import { type Org, prepareDataset } from "./support/dataset.ts";
import { memberOf, readsPerSecond } from "./support/reads.ts";
import { median, round } from "./support/stats.ts";

if (!process.env.DATABASE_URL) {
  console.log("skipped: needs DATABASE_URL (a PostgreSQL server; the embedded database has no bypass role to compare with)");
  process.exit(0);
}
const silent = createLogger("silent");
const dataset = await prepareDataset({ quick: true });
try {
  const env = dataset.apiEnv();
  const tenant = await createDatabase(loadConfig(env).config, silent);
  const bypass = await createDatabase(loadConfig({ ...env, DATABASE_URL: dataset.bypassUrl as string }).config, silent);
  await tenant.db.execute(
    sql.raw(`
    create function feed_page_in_organisation(org uuid, lim int) returns text language plpgsql as $fn$
    declare page text;
    begin
      perform set_config('role', 'app_tenant', true), set_config('app.organisation_id', org::text, true);
      select coalesce(json_agg(json_build_object('id', id::text, 'type', type, 'message', message, 'actor', actor,
        'target', target, 'metadata', metadata, 'createdAt', to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) order by id desc), '[]')::text
        into page
      from (select * from activities order by id desc limit lim) newest; -- no WHERE: row-level security alone scopes it
      return page;
    end $fn$`),
  );
  const feed = createActivityService({ db: tenant.db, logger: createLogger("silent") });
  const oneStatement = async (org: Org) =>
    (await queryRows<{ page: string }>(tenant.db, sql`select feed_page_in_organisation(${org.id}::uuid, 50) as page`))[0]?.page ?? "";
  const paths: Record<string, (org: Org) => Promise<unknown>> = {
    "withOrg (the API's feed verb)": (org) => feed.page(memberOf(org), { limit: 50 }),
    "one statement (function)": oneStatement,
    "bypass (no RLS)": (org) => queryRows(bypass.db, feedPage(org.id, { limit: 50 })),
  };

  // The function, with no WHERE clause, returns exactly the API's page: RLS scoped it.
  const sample = dataset.regular[0] as Org;
  const same =
    JSON.stringify(JSON.parse(await oneStatement(sample))) ===
    JSON.stringify(JSON.parse((await feed.page(memberOf(sample), { limit: 50 })).itemsJson));
  console.log(`the function's page equals the API's for one organisation: ${same}`);
  if (!same) process.exitCode = 1;

  const rate = (read: (org: Org) => Promise<unknown>) => readsPerSecond(read, dataset.regular, 4);
  for (const read of Object.values(paths)) await rate(read); // warm-up
  const rates = Object.fromEntries(Object.keys(paths).map((name) => [name, [] as number[]]));
  for (let round = 0; round < 3; round++) for (const [name, read] of Object.entries(paths)) rates[name]?.push(await rate(read));
  const floor = median(rates["bypass (no RLS)"] ?? []);
  for (const [name, found] of Object.entries(rates)) {
    console.log(
      `${name}: ${round(median(found), 0)} reads/s (${found.map((r) => round(r, 0)).join(" / ")}), ${round(median(found) / floor, 2)}× the bypass path`,
    );
  }
  await tenant.close();
  await bypass.close();
} finally {
  await dataset.drop();
}
