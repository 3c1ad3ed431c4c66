import type { Database, Db } from "../db/client.ts";
import { type AuthChange, CHANNELS, parseActivityNotification, parseAuthChange } from "../db/notifications.ts";
import type { AuthContext } from "../lib/auth-context.ts";
import type { Logger } from "../lib/logger.ts";
import { linkTo, tracedSync } from "../lib/spans.ts";
import { type BusListener, type BusObserver, createBus } from "./bus.ts";
import { createHub, type HubDeps } from "./hub.ts";

/** A per-instance cache that notifications keep honest: trusted only while they are heard. */
type NotifiedCache = { trust(): void; distrust(): void };

type Deps = {
  database: Database;
  /** This instance's handle: what commits through it is heard here at once. */
  db: Db;
  logger: Logger;
  /** Sessions as this instance has them cached (the session guard). */
  sessionCache: NotifiedCache & { apply(change: AuthChange): void };
  /** What this instance caches per organisation (its view, its feed's first pages): forgotten when its log grows or it goes. */
  organisationCaches: Array<NotifiedCache & { forget(organisationId: string): void }>;
  authenticate(token: string): Promise<AuthContext>;
  publish: HubDeps["publish"];
  /** The reads the rooms make; tests wrap them to force an interleaving. */
  reads: HubDeps["reads"];
  /** Other listeners that share the one LISTEN connection (the mail sender). */
  alsoListening?: BusListener[];
  /** The LISTEN connection's ups and downs, for metrics. */
  observer?: BusObserver;
};

/**
 * The realtime side of one instance: the hub of its sockets and the caches, all fed by one
 * LISTEN connection. Whatever commits on any instance reaches them here (and what commits on
 * this one, at its commit); while the connection is down, the caches are bypassed.
 */
export function createRealtime({
  database,
  db,
  logger,
  sessionCache,
  organisationCaches,
  authenticate,
  publish,
  reads,
  alsoListening = [],
  observer,
}: Deps) {
  const hub = createHub({ logger, publish, authenticate, reads });
  const bus = createBus(
    database,
    db,
    logger,
    [
      ...alsoListening,
      {
        channel: CHANNELS.activity,
        onNotification: (payload) => {
          const notification = parseActivityNotification(payload);
          if (!notification) return;
          // The hop from the committing request to this instance's sockets, linked to its trace.
          tracedSync(
            "realtime.notified",
            { "activity.id": notification.id.toString() },
            () => {
              for (const cache of organisationCaches) cache.forget(notification.orgId);
              hub.activityCommitted(notification);
            },
            linkTo(notification.traceparent),
          );
        },
        onConnected: () => {
          for (const cache of organisationCaches) cache.trust();
          hub.resync();
        },
        onDisconnected: () => {
          for (const cache of organisationCaches) cache.distrust();
        },
      },
      {
        channel: CHANNELS.authChanges,
        onNotification: (payload) => {
          const change = parseAuthChange(payload);
          if (!change) return;
          sessionCache.apply(change);
          if (change.kind === "organisation") for (const cache of organisationCaches) cache.forget(change.orgId);
          hub.authChanged(change);
        },
        onConnected: () => sessionCache.trust(),
        onDisconnected: () => sessionCache.distrust(),
      },
    ],
    observer,
  );
  return { hub, bus };
}
