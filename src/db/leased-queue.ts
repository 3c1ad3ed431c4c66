import { randomUUID } from "node:crypto";
import { type SQL, sql } from "drizzle-orm";
import type { Logger } from "../lib/logger.ts";
import type { Db } from "./client.ts";
import { queryRows } from "./sql.ts";
import { withSystem } from "./tenant.ts";

/** A table worked through by a leased queue: it has id, attempts, next_attempt_at, last_error, claimed_by, claimed_until, failed_at, queued_at. */
export type QueueTable = {
  /** The table's name: a constant of ours, never input. */
  name: "outbox" | "jobs";
  /** The column set when a row's work is done. */
  doneColumn: "sent_at" | "done_at";
  /** The columns a claim returns, as the row handed to `work`. */
  returning: string;
};

export type LeasedRow = { id: string; attempts: number };

export type LeasedQueueOptions = {
  pollMs?: number;
  /** How long a row is retried (from `queued_at`) before it is set aside for an operator. */
  retryForSeconds?: number;
  /** How long a claim holds: longer than any one piece of work takes. */
  leaseSeconds?: number;
  /** The most a retry waits: a dependency that comes back is used within minutes. */
  maxBackoffSeconds?: number;
};

type Deps<Row extends LeasedRow> = {
  db: Db;
  logger: Logger;
  table: QueueTable;
  /** What the log says of a failed row ("mail could not be sent"). */
  failure: string;
  /** Does a row's work; throwing has it retried. `holder` is this worker's claim, for work that updates its own row. */
  work: (row: Row, holder: string) => Promise<void>;
  /** Columns set as well when a row is done (the outbox clears the body it no longer needs). */
  alsoOnDone?: SQL;
  /** A condition the row must still meet to be done; one that no longer does is released to run again at once. */
  stillCurrent?: (row: Row) => SQL;
  onFailure?: () => void;
};

/**
 * The outbox's claim, for any table of work: each row is claimed in a transaction of its own
 * that commits a lease (`claimed_by`, `claimed_until`), worked with no transaction open, then
 * marked done by its claimer only. A worker whose connection dies mid-work does not release
 * the row to another before the lease runs out; two workers never hold one row (SKIP LOCKED
 * makes the second pass it by instead of waiting).
 *
 * Delivery is at least once: a row is worked twice only when its work outlasts the lease, or
 * when a worker dies after the work and before it could record it. Work must be idempotent
 * under that (the outbox sends its id as Message-ID, jobs send an idempotency key).
 *
 * A failure is retried with backoff (2, 4, 8… s, at most maxBackoffSeconds) until
 * retryForSeconds after it was queued, then set aside (`failed_at`) for an operator. Woken by a
 * notification, and by a poll for retries coming due.
 */
export function createLeasedQueue<Row extends LeasedRow>(
  { db, logger, table, failure, work, alsoOnDone, stillCurrent, onFailure }: Deps<Row>,
  { pollMs = 5000, retryForSeconds = 86_400, leaseSeconds = 120, maxBackoffSeconds = 300 }: LeasedQueueOptions = {},
) {
  const me = randomUUID();
  const name = sql.raw(table.name);
  const done = sql.raw(table.doneColumn);
  const released = sql`claimed_by = null, claimed_until = null`;
  const mine = (row: Row) => sql`id = ${row.id} and claimed_by = ${me}`;
  let stopped = false;
  let draining: Promise<void> | undefined;
  let wokenMeanwhile = false;
  let poller: ReturnType<typeof setInterval> | undefined;

  /** Takes the oldest due row nobody holds, with a lease committed at once. */
  const claim = () =>
    withSystem(db, async (tx) => {
      const [row] = await queryRows<Row>(
        tx,
        sql`update ${name} set claimed_by = ${me}, claimed_until = now() + make_interval(secs => ${leaseSeconds})
            where id = (
              select id from ${name}
              where ${done} is null and failed_at is null and next_attempt_at <= now()
                and (claimed_until is null or claimed_until < now())
              order by next_attempt_at limit 1
              for update skip locked)
            returning ${sql.raw(table.returning)}`,
      );
      return row;
    });

  async function markDone(row: Row) {
    await withSystem(db, async (tx) => {
      const current = stillCurrent ? sql` and ${stillCurrent(row)}` : sql``;
      const extra = alsoOnDone ? sql`, ${alsoOnDone}` : sql``;
      const marked = await queryRows(
        tx,
        sql`update ${name} set ${done} = now(), attempts = attempts + 1, last_error = null, ${released}${extra}
            where ${mine(row)}${current} returning id`,
      );
      if (marked.length > 0 || !stillCurrent) return;
      // It changed while it ran (a newer request for the same thing): run it again, now.
      await queryRows(tx, sql`update ${name} set ${released}, next_attempt_at = now() where ${mine(row)} returning id`);
      wokenMeanwhile = true;
    });
  }

  async function recordFailure(row: Row, error: unknown) {
    onFailure?.();
    const attempts = row.attempts + 1;
    const reason = error instanceof Error ? error.message : String(error);
    const backoff = Math.min(maxBackoffSeconds, 2 ** attempts);
    const [marked] = await withSystem(db, (tx) =>
      queryRows<{ set_aside: boolean }>(
        tx,
        sql`update ${name} set attempts = ${attempts}, last_error = ${reason.slice(0, 500)},
              next_attempt_at = now() + make_interval(secs => ${backoff}),
              failed_at = case when now() > queued_at + make_interval(secs => ${retryForSeconds}) then now() end,
              ${released}
            where ${mine(row)} returning failed_at is not null as set_aside`,
      ),
    );
    logger.warn(marked?.set_aside ? `${failure}; set aside for an operator` : `${failure}; will retry`, {
      [`${table.name}Id`]: row.id,
      attempts,
      error: reason,
    });
  }

  /** Works the oldest due row; false when none is due (or every due one is held elsewhere). */
  async function workOne(): Promise<boolean> {
    const row = await claim();
    if (!row) return false;
    try {
      await work(row, me);
    } catch (error) {
      await recordFailure(row, error);
      return true;
    }
    await markDone(row);
    return true;
  }

  async function drain() {
    do {
      wokenMeanwhile = false;
      try {
        while (!stopped && (await workOne()));
      } catch (error) {
        logger.warn(`${table.name} unavailable; will try again`, { error: error instanceof Error ? error.message : String(error) });
      }
    } while (wokenMeanwhile && !stopped);
  }

  const wake = () => {
    if (stopped) return;
    if (draining) {
      wokenMeanwhile = true;
      return;
    }
    draining = drain().finally(() => {
      draining = undefined;
    });
  };

  return {
    /** Something was queued (here or on another instance). */
    wake,
    start() {
      poller = setInterval(wake, pollMs);
      poller.unref();
      wake();
    },
    /** Resolves once nothing is being worked; what is still queued waits in the table for the next worker. */
    async stop() {
      stopped = true;
      clearInterval(poller);
      await draining;
    },
    /** Works what is due now and resolves when done (for tests and shutdown). */
    async flush() {
      wake();
      while (draining) await draining;
    },
  };
}

export type LeasedQueue = ReturnType<typeof createLeasedQueue>;
