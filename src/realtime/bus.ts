import { setTimeout as sleep } from "node:timers/promises";
import type { Database, Db, Subscription } from "../db/client.ts";
import { CHANNELS, type Channel, CONFIRMED_CHANNELS, digestOf, formatHeard, parseHeard } from "../db/notifications.ts";
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
 * dispatched here right after its commit (db/notify.ts), to the very same listeners. Having
 * acted on another instance's confirmed announcement, it says so on `heard`; its own confirmed
 * announcements wait for every other listening instance to say so.
 */
export function createBus(database: Database, db: Db, logger: Logger, listeners: BusListener[], observer?: BusObserver) {
  const channels = [...new Set([...listeners.map((listener) => listener.channel), CHANNELS.heard])];
  let subscription: Subscription | null = null;
  let stopped = false;
  /** This instance's confirmed announcements, collecting acknowledgements, by digest. */
  const collecting = new Map<string, { heardFrom: Set<number>; settleIfComplete(): void; settle(): void }>();
  const releaseAll = () => {
    for (const collection of [...collecting.values()]) collection.settle();
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

  /** Tells every instance that this one has acted on `digest`'s announcement (another's: ours are applied at commit). */
  function acknowledge(digest: string) {
    const current = subscription;
    if (!current || collecting.has(digest)) return;
    current.notify(CHANNELS.heard, formatHeard({ listenerId: current.listenerId, digest })).catch((error) => {
      logger.warn("could not acknowledge a notification", { error: String(error) });
    });
  }

  const heard = (channel: string, payload: string) => {
    if (channel === CHANNELS.heard) {
      const acknowledgement = parseHeard(payload);
      const collection = acknowledgement ? collecting.get(acknowledgement.digest) : undefined;
      if (!acknowledgement || !collection) return;
      collection.heardFrom.add(acknowledgement.listenerId);
      collection.settleIfComplete();
      return;
    }
    dispatch(channel as Channel, payload);
    if (CONFIRMED_CHANNELS.has(channel as Channel)) acknowledge(digestOf(payload));
  };

  hearLocally(db, {
    dispatch,
    awaitAcknowledgements(payload, timeoutMs) {
      const listening = subscription;
      if (!listening) return { fromEveryInstance: async () => {} };
      const digest = digestOf(payload);
      const heardFrom = new Set<number>();
      let awaited: number[] | undefined;
      const { promise: settled, resolve } = Promise.withResolvers<void>();
      const timer = setTimeout(() => {
        const silent = awaited?.filter((id) => !heardFrom.has(id));
        if (silent?.length) logger.warn("instances did not acknowledge a confirmed announcement in time; answering anyway", { silent });
        settle();
      }, timeoutMs);
      function settle() {
        clearTimeout(timer);
        if (collecting.get(digest) === collection) collecting.delete(digest);
        resolve();
      }
      const collection = {
        heardFrom,
        settle,
        settleIfComplete: () => awaited?.every((id) => heardFrom.has(id)) && settle(),
      };
      collecting.set(digest, collection);
      return {
        // Who listens is read after the commit: an instance that starts listening later reads
        // the committed change from the database rather than from anything it had cached.
        async fromEveryInstance() {
          try {
            awaited = (await listening.listeners()).filter((id) => id !== listening.listenerId);
            collection.settleIfComplete();
          } catch (error) {
            logger.warn("could not list the listening instances; answering without their acknowledgements", { error: String(error) });
            settle();
          }
          return settled;
        },
      };
    },
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
