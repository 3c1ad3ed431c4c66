import type { Database } from "../db/client.ts";
import type { AuthContext } from "../lib/auth-context.ts";
import type { Logger } from "../lib/logger.ts";
import { ACTIVITY_CHANNEL, parseActivityNotification } from "../modules/activity/index.ts";
import { AUTH_CHANNEL, parseAuthChange, type SessionGuard } from "../modules/access/index.ts";
import type { OrganisationViews } from "../modules/organisations/index.ts";
import { linkTo, tracedSync } from "../lib/tracing.ts";
import { type BusListener, type BusObserver, createBus } from "./bus.ts";
import { createHub, type HubDeps } from "./hub.ts";

type Deps = {
  database: Database;
  logger: Logger;
  guard: SessionGuard;
  views: OrganisationViews;
  authenticate(token: string): Promise<AuthContext>;
  publish(topic: string, message: string): void;
  /** The reads the rooms make; tests wrap them to force an interleaving. */
  reads: HubDeps["reads"];
  /** Other listeners that share the one LISTEN connection (the mail sender). */
  alsoListening?: BusListener[];
  /** The LISTEN connection's ups and downs, for metrics. */
  observer?: BusObserver;
};

/**
 * The realtime side of one instance: the hub of its sockets, the session cache and the
 * organisation views, all fed by one LISTEN connection. Whatever commits on any instance
 * reaches them here; while the connection is down, both caches are bypassed.
 */
export function createRealtime({ database, logger, guard, views, authenticate, publish, reads, alsoListening = [], observer }: Deps) {
  const hub = createHub({ logger, publish, authenticate, reads });
  const bus = createBus(database, logger, [
    ...alsoListening,
    {
      channel: ACTIVITY_CHANNEL,
      onNotification: (payload) => {
        const notification = parseActivityNotification(payload);
        if (!notification) return;
        // The hop from the committing request to this instance's sockets, linked to its trace.
        tracedSync("realtime.notified", { "activity.id": notification.id.toString() }, () => {
          views.forget(notification.orgId);
          hub.activityCommitted(notification);
        }, linkTo(notification.traceparent));
      },
      onConnected: () => {
        views.trust();
        hub.resync();
      },
      onDisconnected: () => views.distrust(),
    },
    {
      channel: AUTH_CHANNEL,
      onNotification: (payload) => {
        const change = parseAuthChange(payload);
        if (!change) return;
        guard.apply(change);
        if (change.kind === "organisation") views.forget(change.orgId);
        hub.authChanged(change);
      },
      onConnected: () => guard.trust(),
      onDisconnected: () => guard.distrust(),
    },
  ], observer);
  return { hub, bus };
}
