import { setTimeout as sleep } from "node:timers/promises";
import type { Database, Db, Subscription } from "../db/client.ts";
import type { Channel } from "../db/notifications.ts";
import { hearLocally } from "../db/notify.ts";
import type { Logger } from "../lib/logger.ts";

/** Someone who acts on notifications and needs to know when they may have been missed. */
export type BusListener = {
  channel: Channel;
  onNotification(payload: string): void;
  /** LISTEN is (again) in place; anything sent while it was down has been lost. */
  onConnected?(): void;
  /** LISTEN is down: notifications are being lost until onConnected. */
  onDisconnected?(): void;
};

/** Told when the LISTEN connection comes up (`again` after a loss) and goes down. */
export type BusObserver = { connected(again: boolean): void; disconnected(): void };

const backoffMs = (attempt: number) => Math.min(5000, 100 * 2 ** attempt) * (0.5 + Math.random() / 2);

/**
 * One dedicated LISTEN connection per instance. PostgreSQL's notification queue is not
 * durable — what is sent while we are not listening is gone — so every (re)connect tells the
 * listeners, who then catch up from the tables, which are the truth.
 *
 * It is also how this instance hears its own changes at once: what commits through `db` is
 * dispatched here right after its commit (db/notify.ts), to the very same listeners, and a
 * confirmed announcement waits until the real notification has come back.
 */
export function createBus(database: Database, db: Db, logger: Logger, listeners: BusListener[], observer?: BusObserver) {
  const channels = [...new Set(listeners.map((listener) => listener.channel))];
  let subscription: Subscription | null = null;
  let stopped = false;
  /** Announcements of this instance waiting for their echo, by payload. */
  const awaited = new Map<string, () => void>();
  const releaseAll = () => {
    for (const release of awaited.values()) release();
    awaited.clear();
  };

  const dispatch = (channel: Channel, payload: string) => {
    for (const listener of listeners) {
      if (listener.channel !== channel) continue;
      try {
        listener.onNotification(payload);
      } catch (error) {
        logger.error("notification handler failed", { channel, error: String(error) });
      }
    }
  };

  const heard = (channel: string, payload: string) => {
    awaited.get(payload)?.();
    dispatch(channel as Channel, payload);
  };

  hearLocally(db, {
    dispatch,
    expect: (payload, timeoutMs) =>
      subscription
        ? new Promise<void>((resolve) => {
            const timer = setTimeout(release, timeoutMs);
            function release() {
              clearTimeout(timer);
              awaited.delete(payload);
              resolve();
            }
            awaited.set(payload, release);
          })
        : Promise.resolve(),
  });

  async function run(connected: () => void) {
    let everConnected = false;
    for (let attempt = 0; !stopped; ) {
      try {
        const current = await database.listen(channels, heard);
        subscription = current;
        attempt = 0;
        logger.info("listening for notifications", { channels, backendPid: current.backendPid });
        for (const listener of listeners) listener.onConnected?.();
        observer?.connected(everConnected);
        everConnected = true;
        connected();
        const error = await current.lost;
        if (stopped) return;
        logger.warn("notification connection lost; reconnecting", { error: error.message });
        subscription = null;
        releaseAll();
        for (const listener of listeners) listener.onDisconnected?.();
        observer?.disconnected();
        await current.close().catch(() => {});
      } catch (error) {
        if (stopped) return;
        logger.warn("could not listen for notifications; retrying", { error: String(error) });
      }
      await sleep(backoffMs(attempt++));
    }
  }

  return {
    /** Starts listening; resolves once the first LISTEN is in place, then keeps it so. */
    start: () =>
      new Promise<void>((resolve) => {
        void run(resolve);
      }),
    /** The server process behind the LISTEN connection (null on the embedded database). */
    get backendPid() {
      return subscription?.backendPid ?? null;
    },
    async stop() {
      stopped = true;
      const closing = subscription;
      subscription = null;
      releaseAll();
      await closing?.close().catch(() => {});
    },
  };
}

export type Bus = ReturnType<typeof createBus>;
