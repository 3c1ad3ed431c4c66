import { and, eq, isNotNull, isNull, sql } from "drizzle-orm";
import type { Tx } from "../../db/client.ts";
import { passkeys, totpFactors, users } from "../../db/schema/index.ts";
import { announceAuthChange } from "../sessions/index.ts";

export const SECOND_FACTOR_METHODS = ["totp", "recovery_code", "passkey"] as const;
export type SecondFactorMethod = (typeof SECOND_FACTOR_METHODS)[number];

/** How the user can pass a second step now: TOTP (and its recovery codes) when enabled, a passkey when one is unflagged. */
export async function secondFactorMethods(tx: Tx, userId: string): Promise<SecondFactorMethod[]> {
  const [row] = await tx
    .select({
      totp: sql<boolean>`exists (${tx
        .select({ one: sql`1` })
        .from(totpFactors)
        .where(and(eq(totpFactors.userId, userId), isNotNull(totpFactors.enabledAt)))})`,
      passkey: sql<boolean>`exists (${tx
        .select({ one: sql`1` })
        .from(passkeys)
        .where(and(eq(passkeys.userId, userId), isNull(passkeys.flaggedAt)))})`,
    })
    .from(users)
    .where(eq(users.id, userId));
  return [...(row?.totp ? (["totp", "recovery_code"] as const) : []), ...(row?.passkey ? (["passkey"] as const) : [])];
}

/**
 * Brings `users.has_second_factor` in step after a factor was added or removed (in the same
 * transaction), and tells every instance that what the user's sessions may do may have changed:
 * a session narrowed by its organisation's requirement widens, or one narrows.
 */
export async function secondFactorsChanged(tx: Tx, userId: string): Promise<boolean> {
  const has = (await secondFactorMethods(tx, userId)).length > 0;
  await tx.update(users).set({ hasSecondFactor: has }).where(eq(users.id, userId));
  await announceAuthChange(tx, { kind: "requirements", userId });
  return has;
}
