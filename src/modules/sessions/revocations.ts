import { and, eq, inArray, isNull, ne, type SQL, sql } from "drizzle-orm";
import type { Tx } from "../../db/client.ts";
import { type AuthChange, CHANNELS, formatAuthChange } from "../../db/notifications.ts";
import { notify } from "../../db/notify.ts";
import { sessions } from "../../db/schema/index.ts";

/**
 * Announces `change` if and only if `tx` commits. This instance's session cache and sockets
 * act on it before the call that opened `tx` returns, and that call answers only once every
 * other listening instance has acknowledged acting on it too (a confirmed channel): the change
 * holds on the very next request wherever it lands.
 */
export async function announceAuthChange(tx: Tx, change: AuthChange): Promise<void> {
  await notify(tx, CHANNELS.authChanges, formatAuthChange(change));
}

/**
 * Revokes every live session that `which` selects (its refresh tokens die with it) and returns
 * their ids. The caller announces the change, so every instance drops them and closes their sockets.
 * Ending a membership uses this alone: the member's sessions elsewhere are theirs to keep.
 */
export async function revokeSessions(tx: Tx, which: SQL | undefined): Promise<string[]> {
  const revoked = await tx
    .update(sessions)
    .set({ revokedAt: sql`now()` })
    .where(and(which, isNull(sessions.revokedAt)))
    .returning({ id: sessions.id });
  return revoked.map((session) => session.id);
}

/**
 * Revokes the sessions `which` selects as credentials, with every session made from them
 * (switch-organisation's descendants): a stolen token cannot mint a session that outlives it.
 * Level by level, each level its own statement: a descendant that committed while an earlier
 * level waited on its parent's row lock (the switch holds it) is seen by the next.
 */
export async function revokeWithDescendants(tx: Tx, which: SQL): Promise<string[]> {
  let level = await revokeSessions(tx, which);
  const all = [...level];
  while (level.length > 0) {
    level = await revokeSessions(tx, inArray(sessions.parentId, level));
    all.push(...level);
  }
  return all;
}

/** One session ended as a credential (logout, ended from the list, a reused refresh token), with its descendants, announced. */
export async function revokeSession(tx: Tx, sessionId: string): Promise<void> {
  for (const revoked of await revokeWithDescendants(tx, eq(sessions.id, sessionId))) {
    await announceAuthChange(tx, { kind: "session", sessionId: revoked });
  }
}

/** Every session of `userId` but `except` (a new password, logout others or global, a deleted account), announced. */
export async function revokeUser(tx: Tx, userId: string, except?: string): Promise<void> {
  await revokeWithDescendants(tx, and(eq(sessions.userId, userId), except ? ne(sessions.id, except) : undefined) as SQL);
  await announceAuthChange(tx, { kind: "user", userId, ...(except ? { exceptSessionId: except } : {}) });
}
