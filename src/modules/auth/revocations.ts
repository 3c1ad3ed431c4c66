import { sql } from "drizzle-orm";
import type { Tx } from "../../db/client.ts";
import type { Role } from "../../lib/roles.ts";

/** The channel on which every instance hears that a session or membership changed. */
export const AUTH_CHANNEL = "auth_changes";

/** A change that must reach every instance's session cache and sockets at once. */
export type AuthChange =
  | { kind: "session"; sessionId: string }
  | { kind: "member"; orgId: string; userId: string; role: Role | null };

/** Queues the announcement in `tx`: it is heard if and only if the change commits. */
export async function announceAuthChange(tx: Tx, change: AuthChange): Promise<void> {
  await tx.execute(sql`select pg_notify(${AUTH_CHANNEL}, ${JSON.stringify(change)})`);
}

export function parseAuthChange(payload: string): AuthChange | null {
  try {
    const change = JSON.parse(payload) as AuthChange;
    return change.kind === "session" || change.kind === "member" ? change : null;
  } catch {
    return null;
  }
}
