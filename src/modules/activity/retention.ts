import { SQL as BunSql } from "bun";
import { sql } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { queryRows } from "../../db/sql.ts";
import { withSystem } from "../../db/tenant.ts";
import type { Logger } from "../../lib/logger.ts";

// Any fixed number: the session-level advisory lock that lets one instance purge at a time.
const PURGE_LOCK_KEY = 727_002;

export type RetentionOptions = { days: number; intervalMs?: number; batch?: number };

/**
 * ACTIVITY_RETENTION_DAYS: activities older than that are deleted, a batch at a time, each
 * batch its own short transaction (row locks on a thousand rows, then released). Only one
 * instance purges at a time — the others find the advisory lock taken and skip the round.
 * A socket resuming from before the purge is told its replay was truncated.
 */
export function createRetention(db: Db, logger: Logger, { days, intervalMs = 10 * 60_000, batch = 1000 }: RetentionOptions) {
  const deleteBatch = () =>
    withSystem(db, async (tx) => {
      const [row] = await queryRows<{ deleted: number }>(
        tx,
        sql`with gone as (
              delete from activities where (organisation_id, id) in (
                select organisation_id, id from activities
                where created_at < now() - make_interval(days => ${days}) limit ${batch})
              returning 1)
            select count(*)::int as deleted from gone`,
      );
      return row?.deleted ?? 0;
    });

  /** Runs `purge` holding the purge lock, or returns null when another instance holds it. */
  async function exclusively(purge: () => Promise<number>): Promise<number | null> {
    const client = db.$client;
    if (!(client instanceof BunSql)) return purge(); // the embedded database has one instance
    const connection = await client.reserve();
    try {
      const [lock] = await connection`select pg_try_advisory_lock(${PURGE_LOCK_KEY}) as locked`;
      if (!lock?.locked) return null;
      try {
        return await purge();
      } finally {
        await connection`select pg_advisory_unlock(${PURGE_LOCK_KEY})`;
      }
    } finally {
      connection.release();
    }
  }

  let timer: ReturnType<typeof setInterval> | undefined;
  let running: Promise<unknown> | undefined;

  /** One purge round; resolves with how many activities went (null: another instance is purging). */
  const purgeNow = (): Promise<number | null> =>
    exclusively(async () => {
      let total = 0;
      for (let deleted = batch; deleted === batch; total += deleted) deleted = await deleteBatch();
      if (total > 0) logger.info("activity retention: purged", { deleted: total, olderThanDays: days });
      return total;
    });

  return {
    purgeNow,
    start() {
      const round = () => {
        running ??= purgeNow()
          .catch((error) =>
            logger.warn("activity retention: purge failed; will retry", { error: error instanceof Error ? error.message : String(error) }),
          )
          .finally(() => (running = undefined));
      };
      timer = setInterval(round, intervalMs);
      timer.unref();
      round();
    },
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
