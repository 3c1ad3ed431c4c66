// notifyWrites: activity writes/s with and without pg_notify in the transaction, 32 writers,
// each appending to its own organisation exactly as recordActivity does.
import pg from "pg";
import type { Figure, ScenarioOptions } from "../support/figures.ts";
import { median, round } from "../support/stats.ts";

const WRITERS = 32;

export async function notifyWritesFigure({ dataset, quick }: ScenarioOptions): Promise<Figure> {
  const url = dataset.apiEnv().DATABASE_URL;
  if (!url) {
    return {
      name: "notifyWrites",
      ours: "n/a",
      floor: "n/a",
      ratio: "n/a",
      target: "report",
      met: true,
      note: "the embedded database has one connection: 32 concurrent writers need PostgreSQL",
    };
  }
  const pool = new pg.Pool({ connectionString: url, max: WRITERS, options: "-c app.system=on" });
  const orgs = [...dataset.quiet, ...dataset.regular].slice(0, WRITERS).map((org) => org.id);
  const seconds = quick ? 2 : 5;
  const run = async (withNotify: boolean) => {
    const deadline = performance.now() + seconds * 1000;
    const counts = await Promise.all(
      orgs.map(async (org) => {
        const client = await pool.connect();
        let writes = 0;
        try {
          while (performance.now() < deadline) {
            await client.query("begin");
            await client.query({
              name: withNotify ? "write_notify" : "write",
              text: `with counted as (update organisations set last_activity_id = last_activity_id + 1 where id = $1 returning id, last_activity_id),
                     inserted as (insert into activities (organisation_id, id, type, message, metadata)
                                  select id, last_activity_id, 'BROADCAST_MESSAGE', 'bench', '{}'::jsonb from counted returning organisation_id, id)
                     select ${withNotify ? "pg_notify('activity', json_build_object('o', organisation_id, 'i', id::text)::text)" : "id"} from inserted`,
              values: [org],
            });
            await client.query("commit");
            writes++;
          }
        } finally {
          client.release();
        }
        return writes;
      }),
    );
    return counts.reduce((sum, n) => sum + n, 0) / seconds;
  };
  try {
    const rates = { without: [] as number[], with: [] as number[] };
    for (let i = 0; i < (quick ? 1 : 3); i++) {
      rates.without.push(await run(false));
      rates.with.push(await run(true));
    }
    const without = median(rates.without);
    const withNotify = median(rates.with);
    return {
      name: "notifyWrites",
      ours: `${round(withNotify, 0)} writes/s with pg_notify`,
      floor: `${round(without, 0)} writes/s without`,
      ratio: `${(withNotify / without).toFixed(2)}×`,
      target: "report (docs/performance.md: the ceiling it puts on one database)",
      met: true,
    };
  } finally {
    await pool.end();
  }
}
