import { and, isNull, type SQL, sql } from "drizzle-orm";
import type { Tx } from "../../db/client.ts";
import { type AuthChange, CHANNELS, formatAuthChange } from "../../db/notifications.ts";
import { notify } from "../../db/notify.ts";
import { sessions } from "../../db/schema/index.ts";

/**
 * Announces `change` if and only if `tx` commits. This instance's session cache and sockets
 * act on it before the call that opened `tx` returns, and that call answers only once the
 * announcement has come back through PostgreSQL: by then every instance has it, so the change
 * holds on the very next request wherever it lands.
 */
export async function announceAuthChange(tx: Tx, change: AuthChange): Promise<void> {
  await notify(tx, CHANNELS.authChanges, formatAuthChange(change), { confirmed: true });
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
