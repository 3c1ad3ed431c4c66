import type { AuthContext } from "../lib/auth-context.ts";
import type { Role } from "../lib/vocabulary.ts";
import { CLOSE, message } from "./events.ts";
import type { HubSocket } from "./socket.ts";

/** The state of each of these sessions of an organisation now: revoked or not, and its member's role (null once they left). */
export type ReadSessionStates = (
  organisationId: string,
  sessionIds: string[],
) => Promise<Map<string, { revoked: boolean; role: Role | null; secondFactorMissing?: boolean; suspended?: boolean; disabled?: boolean }>>;

export type SocketAuthDeps = {
  authenticate(token: string): Promise<AuthContext>;
  sessionStates: ReadSessionStates;
};

const SWEEP_MS = 1000;

/**
 * A socket's credentials over its life: it closes when its access token expires (4001) unless
 * the client sends `{"type":"AUTH","token"}` with a fresh one, and after missed notifications
 * each socket is checked against the database again.
 *
 * Expiries are kept in one-second buckets swept by a single timer, rather than a timer per
 * socket: tens of thousands of idle sockets then cost a Set entry each, not a timer object.
 * A socket closes within a second of its token's expiry.
 */
export function createSocketAuth({ authenticate, sessionStates }: SocketAuthDeps) {
  const buckets = new Map<number, Set<HubSocket>>();
  const bucketOf = (socket: HubSocket) => Math.ceil(socket.data.auth.expiresAt / SWEEP_MS);
  let swept = Math.floor(Date.now() / SWEEP_MS);
  const sweeper = setInterval(() => {
    const now = Math.floor(Date.now() / SWEEP_MS);
    for (let bucket = swept + 1; bucket <= now; bucket++) {
      for (const socket of buckets.get(bucket) ?? []) socket.close(CLOSE.authExpired, "Access token expired");
      buckets.delete(bucket);
    }
    swept = now;
  }, SWEEP_MS);
  sweeper.unref();

  function disarm(socket: HubSocket) {
    const bucket = buckets.get(bucketOf(socket));
    bucket?.delete(socket);
    if (bucket?.size === 0) buckets.delete(bucketOf(socket));
  }

  function armExpiry(socket: HubSocket) {
    const due = bucketOf(socket);
    // Already past (or due in a bucket the sweeper has passed): close now.
    if (due <= swept) return socket.close(CLOSE.authExpired, "Access token expired");
    const bucket = buckets.get(due) ?? new Set<HubSocket>();
    bucket.add(socket);
    buckets.set(due, bucket);
  }

  return {
    armExpiry,
    disarm,

    stop: () => clearInterval(sweeper),

    /** Extends the socket's life with a fresh token of the same user and organisation. */
    async reauthenticate(socket: HubSocket, token: string) {
      try {
        const auth = await authenticate(token);
        if (auth.userId !== socket.data.auth.userId || auth.orgId !== socket.data.auth.orgId) {
          socket.send(message("ERROR", { message: "That token belongs to another user or organisation" }));
          return;
        }
        disarm(socket);
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
      const current = await sessionStates(organisationId, [...new Set(all.map((socket) => socket.data.auth.sessionId))]);
      for (const socket of all) {
        const state = current.get(socket.data.auth.sessionId);
        if (state && !state.role) socket.close(CLOSE.removed, "No longer a member of this organisation");
        else if (!state?.role || state.revoked) socket.close(CLOSE.authExpired, "Session revoked");
        else if (state.disabled) socket.close(CLOSE.accountDisabled, "This account has been disabled");
        else if (state.suspended) socket.close(CLOSE.suspended, "This organisation has been suspended");
        else if (state.secondFactorMissing)
          socket.close(CLOSE.secondFactorRequired, "The organisation requires a second factor: set one up");
        else socket.data.auth = { ...socket.data.auth, role: state.role };
      }
    },
  };
}

export type SocketAuth = ReturnType<typeof createSocketAuth>;
