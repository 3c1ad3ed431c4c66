import { sql } from "drizzle-orm";
import type { Db, Tx } from "./client.ts";
import { type Channel, CONFIRMED_CHANNELS } from "./notifications.ts";
import { databaseOf, onCommit } from "./tenant.ts";

/** What an instance does with a notification: the very function its LISTEN connection calls. */
export type LocalNotifications = {
  dispatch(channel: Channel, payload: string): void;
  /**
   * Starts collecting the acknowledgements of `payload` (CONFIRMED_CHANNELS), before the
   * commit: one may arrive before the commit's own answer does. `fromEveryInstance`, asked
   * after the commit, settles once every instance listening by then has acted on it (at once
   * while this one is not listening: it cannot hear them), or `timeoutMs` after the start.
   */
  awaitAcknowledgements(payload: string, timeoutMs: number): { fromEveryInstance(): Promise<void> };
};

const instances = new WeakMap<Db, LocalNotifications>();

/** Makes `local` the instance behind the handle `db`: what commits through it is told to `local` at once. */
export const hearLocally = (db: Db, local: LocalNotifications) => instances.set(db, local);

/** How long a confirmed announcement waits for the instances' acknowledgements before answering anyway. */
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
 * On a confirmed channel (CONFIRMED_CHANNELS) that call returns only once every other
 * listening instance has said it acted on the announcement (or CONFIRM_TIMEOUT_MS passed).
 * Hearing our own echo would not do: PostgreSQL hands a notification to every listener at the
 * commit, but one instance may read it, or run its handler, a moment after another — and a
 * request reaching it in that moment would still be served from what it has not yet dropped.
 */
export async function notify(tx: Tx, channel: Channel, payload: string): Promise<void> {
  await tx.execute(sql`select pg_notify(${channel}, ${payload})`);
  const local = instances.get(databaseOf(tx));
  const acknowledgements = CONFIRMED_CHANNELS.has(channel) ? local?.awaitAcknowledgements(payload, CONFIRM_TIMEOUT_MS) : undefined;
  onCommit(tx, async () => {
    local?.dispatch(channel, payload);
    await acknowledgements?.fromEveryInstance();
  });
}
