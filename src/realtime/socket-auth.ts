import type { AuthContext } from "../lib/auth-context.ts";
import type { Role } from "../lib/vocabulary.ts";
import { CLOSE, message } from "./events.ts";
import type { HubSocket } from "./socket.ts";

/** Where each of these sessions of an organisation stands now: revoked or not, and its member's role (null once they left). */
export type SessionStandings = (organisationId: string, sessionIds: string[]) => Promise<Map<string, { revoked: boolean; role: Role | null }>>;

export type SocketAuthDeps = {
  authenticate(token: string): Promise<AuthContext>;
  standings: SessionStandings;
};

// setTimeout overflows past 2^31 - 1 ms and would fire at once.
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A socket's credentials over its life: it closes when its access token expires (4001) unless
 * the client sends `{"type":"AUTH","token"}` with a fresh one, and after missed notifications
 * each socket is checked against the database again.
 */
export function createSocketAuth({ authenticate, standings }: SocketAuthDeps) {
  function armExpiry(socket: HubSocket) {
    clearTimeout(socket.data.expiryTimer);
    const remaining = Math.min(MAX_TIMER_MS, Math.max(0, socket.data.auth.expiresAt - Date.now()));
    socket.data.expiryTimer = setTimeout(() => socket.close(CLOSE.authExpired, "Access token expired"), remaining);
  }

  return {
    armExpiry,

    disarm(socket: HubSocket) {
      clearTimeout(socket.data.expiryTimer);
    },

    /** Extends the socket's life with a fresh token of the same user and organisation. */
    async reauthenticate(socket: HubSocket, token: string) {
      try {
        const auth = await authenticate(token);
        if (auth.userId !== socket.data.auth.userId || auth.orgId !== socket.data.auth.orgId) {
          socket.send(message("ERROR", { message: "That token belongs to another user or organisation" }));
          return;
        }
        socket.data.auth = auth;
        armExpiry(socket);
        socket.send(message("AUTHENTICATED", { expiresAt: new Date(auth.expiresAt).toISOString() }));
      } catch {
        socket.send(message("ERROR", { message: "Invalid or expired access token" }));
      }
    },

    /** After missed notifications: close sockets whose session or membership ended meanwhile, and refresh roles. */
    async revalidate(organisationId: string, sockets: Iterable<HubSocket>) {
      const all = [...sockets];
      if (all.length === 0) return;
      const current = await standings(organisationId, [...new Set(all.map((socket) => socket.data.auth.sessionId))]);
      for (const socket of all) {
        const standing = current.get(socket.data.auth.sessionId);
        if (standing && !standing.role) socket.close(CLOSE.removed, "No longer a member of this organisation");
        else if (!standing?.role || standing.revoked) socket.close(CLOSE.authExpired, "Session revoked");
        else socket.data.auth = { ...socket.data.auth, role: standing.role };
      }
    },
  };
}

export type SocketAuth = ReturnType<typeof createSocketAuth>;
