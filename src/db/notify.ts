import { sql } from "drizzle-orm";
import type { Db, Tx } from "./client.ts";
import type { Channel } from "./notifications.ts";
import { databaseOf, onCommit } from "./tenant.ts";

/** What an instance does with a notification: the very function its LISTEN connection calls. */
export type LocalNotifications = {
  dispatch(channel: Channel, payload: string): void;
  /**
   * Settles once this instance's LISTEN connection hears `payload` (at once while it is not
   * listening), or after `timeoutMs`. Asked before the commit: the echo may arrive before the
   * commit's own answer does.
   */
  expect(payload: string, timeoutMs: number): Promise<void>;
};

const instances = new WeakMap<Db, LocalNotifications>();

/** Makes `local` the instance behind the handle `db`: what commits through it is told to `local` at once. */
export const hearLocally = (db: Db, local: LocalNotifications) => instances.set(db, local);

/** How long a confirmed announcement waits for its own echo before answering anyway. */
export const CONFIRM_TIMEOUT_MS = 2000;

/** This instance hears `payload` on `channel` now, as its LISTEN connection will tell it (and every other instance) a moment later. */
export function tellThisInstance(db: Db, channel: Channel, payload: string): void {
  instances.get(db)?.dispatch(channel, payload);
}

/** For a NOTIFY a statement sends itself (recordActivity's): once `tx` commits, this instance hears `payload` at once. */
export function tellThisInstanceOnCommit(tx: Tx, channel: Channel, payload: string): void {
  const db = databaseOf(tx);
  onCommit(tx, () => tellThisInstance(db, channel, payload));
}

/**
 * Announces `payload` on `channel` if and only if `tx` commits: every other instance hears it
 * through PostgreSQL, and this one at once, through the same handler, before the call that
 * opened `tx` returns. Handlers must be idempotent: each instance also runs them for the echo.
 *
 * `confirmed`: that call returns only once this instance's LISTEN connection has heard the
 * echo (or CONFIRM_TIMEOUT_MS passed). PostgreSQL hands a notification to every listener at the
 * same commit, so by then every other instance has it too: what a revocation needs to hold on
 * the very next request, wherever it lands.
 */
export async function notify(tx: Tx, channel: Channel, payload: string, { confirmed = false } = {}): Promise<void> {
  await tx.execute(sql`select pg_notify(${channel}, ${payload})`);
  const local = instances.get(databaseOf(tx));
  const echo = confirmed ? local?.expect(payload, CONFIRM_TIMEOUT_MS) : undefined;
  onCommit(tx, async () => {
    local?.dispatch(channel, payload);
    await echo;
  });
}
