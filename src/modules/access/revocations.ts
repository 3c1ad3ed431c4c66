import { and, isNull, type SQL, sql } from "drizzle-orm";
import type { Tx } from "../../db/client.ts";
import { sessions } from "../../db/schema/index.ts";
import type { Role } from "../../lib/vocabulary.ts";

/** The channel on which every instance hears that a session or membership changed. */
export const AUTH_CHANNEL = "auth_changes";

/** A change that must reach every instance's session cache and sockets at once. */
export type AuthChange =
  /** One session revoked (logout, a reused refresh token, ended from the session list). */
  | { kind: "session"; sessionId: string }
  /** A member's role changed, or (null) they are no longer a member. */
  | { kind: "member"; orgId: string; userId: string; role: Role | null }
  /** Every session of a user revoked but `exceptSessionId` (a new password, logout others/global, a deleted account). */
  | { kind: "user"; userId: string; exceptSessionId?: string }
  /** The organisation is gone, with all its sessions. */
  | { kind: "organisation"; orgId: string };

const KINDS = new Set(["session", "member", "user", "organisation"]);

/** Queues the announcement in `tx`: it is heard if and only if the change commits. */
export async function announceAuthChange(tx: Tx, change: AuthChange): Promise<void> {
  await tx.execute(sql`select pg_notify(${AUTH_CHANNEL}, ${JSON.stringify(change)})`);
}

export function parseAuthChange(payload: string): AuthChange | null {
  try {
    const change = JSON.parse(payload) as AuthChange;
    return KINDS.has(change.kind) ? change : null;
  } catch {
    return null;
  }
}

/**
 * Revokes every live session that `which` selects (its refresh tokens die with it) and returns
 * their ids. The caller announces the change, so every instance drops them and closes their sockets.
 */
export async function revokeSessions(tx: Tx, which: SQL | undefined): Promise<string[]> {
  const revoked = await tx
    .update(sessions)
    .set({ revokedAt: sql`now()` })
    .where(and(which, isNull(sessions.revokedAt)))
    .returning({ id: sessions.id });
  return revoked.map((session) => session.id);
}
