import { setTimeout as sleep } from "node:timers/promises";
import type { Database, Subscription } from "../db/client.ts";
import type { Logger } from "../lib/logger.ts";

/** Someone who acts on notifications and needs to know when they may have been missed. */
export type BusListener = {
  channel: string;
  onNotification(payload: string): void;
  /** LISTEN is (again) in place; anything sent while it was down has been lost. */
  onConnected?(): void;
  /** LISTEN is down: notifications are being lost until onConnected. */
  onDisconnected?(): void;
};

const backoffMs = (attempt: number) => Math.min(5000, 100 * 2 ** attempt) * (0.5 + Math.random() / 2);

/**
 * One dedicated LISTEN connection per instance. PostgreSQL's notification queue is not
 * durable — what is sent while we are not listening is gone — so every (re)connect tells the
 * listeners, who then catch up from the tables, which are the truth.
 */
/** Told when the LISTEN connection comes up (`again` after a loss) and goes down. */
export type BusObserver = { connected(again: boolean): void; disconnected(): void };

export function createBus(database: Database, logger: Logger, listeners: BusListener[], observer?: BusObserver) {
  const channels = [...new Set(listeners.map((listener) => listener.channel))];
  let subscription: Subscription | null = null;
  let stopped = false;

  const dispatch = (channel: string, payload: string) => {
    for (const listener of listeners) {
      if (listener.channel !== channel) continue;
      try {
        listener.onNotification(payload);
      } catch (error) {
        logger.error("notification handler failed", { channel, error: String(error) });
      }
    }
  };

  async function run(connected: () => void) {
    let everConnected = false;
    for (let attempt = 0; !stopped; ) {
      try {
        subscription = await database.listen(channels, dispatch);
        attempt = 0;
        logger.info("listening for notifications", { channels, backendPid: subscription.backendPid });
        for (const listener of listeners) listener.onConnected?.();
        observer?.connected(everConnected);
        everConnected = true;
        connected();
        const error = await subscription.lost;
        if (stopped) return;
        logger.warn("notification connection lost; reconnecting", { error: error.message });
        for (const listener of listeners) listener.onDisconnected?.();
        observer?.disconnected();
        await subscription.close().catch(() => {});
        subscription = null;
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
      await subscription?.close().catch(() => {});
      subscription = null;
    },
  };
}

export type Bus = ReturnType<typeof createBus>;
