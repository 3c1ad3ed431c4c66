// What does pg_notify inside the writing transaction cost?
//
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres bun bench/notify-cost.ts [--writers=32] [--seconds=5]
//
// `writers` concurrent connections, each appending activities to its own organisation exactly
// as recordActivity does (lock the organisation row, insert, in one transaction) — once with
// the NOTIFY in the transaction, once without — alternating three times on a scratch database.
import pg from "pg";
import { loadConfig } from "../src/config/env.ts";
import { createDatabase } from "../src/db/client.ts";
import { runMigrations } from "../src/db/migrate.ts";
import { createLogger } from "../src/lib/logger.ts";
import { createScratchDatabase } from "./support/scratch-database.ts";
import { markdownTable, median, round } from "./support/stats.ts";

const arg = (name: string, fallback: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback;
const WRITERS = Number(arg("writers", "32"));
const SECONDS = Number(arg("seconds", "5"));
const scratch = await createScratchDatabase("notify");
const silent = createLogger("silent");
const database = await createDatabase(loadConfig({ DATABASE_URL: scratch.url }).config, silent);
await runMigrations(database, silent);
await database.close();

const pool = new pg.Pool({ connectionString: scratch.url, max: WRITERS });
pool.on("error", () => {}); // idle clients ended by the scratch database's drop
const orgs = (
  await pool.query<{ id: string }>(
    `insert into organisations (name, slug) select 'bench ' || i, 'bench-' || i from generate_series(1, ${WRITERS}) i returning id`,
  )
).rows.map((row) => row.id);

async function run(withNotify: boolean): Promise<number> {
  const deadline = performance.now() + SECONDS * 1000;
  const counts = await Promise.all(
    orgs.map(async (org) => {
      const client = await pool.connect();
      let writes = 0;
      try {
        while (performance.now() < deadline) {
          await client.query("begin");
          const { rows } = await client.query<{ id: string }>(
            `with locked as (select id from organisations where id = $1 for no key update)
             insert into activities (organisation_id, type, message, metadata)
             select id, 'BROADCAST_MESSAGE', 'bench', '{}'::jsonb from locked returning id::text`,
            [org],
          );
          if (withNotify) await client.query("select pg_notify('activity', $1)", [JSON.stringify({ o: org, i: rows[0]?.id })]);
          await client.query("commit");
          writes++;
        }
      } finally {
        client.release();
      }
      return writes;
    }),
  );
  return counts.reduce((sum, n) => sum + n, 0) / SECONDS;
}

try {
  const rates: Record<string, number[]> = { without: [], with: [] };
  for (let round = 0; round < 3; round++) {
    rates.without?.push(await run(false));
    rates.with?.push(await run(true));
  }
  const without = median(rates.without ?? []);
  const withNotify = median(rates.with ?? []);
  console.log(`\n${WRITERS} concurrent writers, one organisation each, ${SECONDS} s per run, median of 3\n`);
  console.log(
    markdownTable([
      { transaction: "lock + insert", "writes/s": round(without, 0), ratio: "1×" },
      { transaction: "lock + insert + pg_notify", "writes/s": round(withNotify, 0), ratio: `${round(withNotify / without, 2)}×` },
    ]),
  );
} finally {
  await pool.end();
  await Bun.sleep(100);
  await scratch.drop();
}
