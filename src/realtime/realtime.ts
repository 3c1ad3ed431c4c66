import type { Database } from "../db/client.ts";
import type { AuthContext } from "../lib/auth-context.ts";
import type { Logger } from "../lib/logger.ts";
import { ACTIVITY_CHANNEL, parseActivityNotification } from "../modules/activity/index.ts";
import { AUTH_CHANNEL, parseAuthChange, type SessionGuard } from "../modules/auth/index.ts";
import { createBus } from "./bus.ts";
import { createHub, type HubDeps } from "./hub.ts";

type Deps = {
  database: Database;
  logger: Logger;
  guard: SessionGuard;
  authenticate(token: string): Promise<AuthContext>;
  publish(topic: string, message: string): void;
  /** The reads the rooms make; tests wrap them to force an interleaving. */
  reads: HubDeps["reads"];
};

/**
 * The realtime side of one instance: the hub of its sockets and the session cache, both fed
 * by one LISTEN connection. Whatever commits on any instance reaches both here.
 */
export function createRealtime({ database, logger, guard, authenticate, publish, reads }: Deps) {
  const hub = createHub({ logger, publish, authenticate, reads });
  const bus = createBus(database, logger, [
    {
      channel: ACTIVITY_CHANNEL,
      onNotification: (payload) => {
        const orgId = parseActivityNotification(payload);
        if (orgId) hub.activityCommitted(orgId);
      },
      onConnected: () => hub.resync(),
    },
    {
      channel: AUTH_CHANNEL,
      onNotification: (payload) => {
        const change = parseAuthChange(payload);
        if (!change) return;
        guard.apply(change);
        hub.authChanged(change);
      },
      onConnected: () => guard.trust(),
      onDisconnected: () => guard.distrust(),
    },
  ]);
  return { hub, bus };
}
