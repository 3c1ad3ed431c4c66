import { and, eq, isNull } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { sessions, users } from "../../db/schema/index.ts";
import { withSystem } from "../../db/tenant.ts";
import type { AccountContext } from "../../lib/auth-context.ts";
import { ForbiddenError } from "../../lib/errors.ts";

/** An operator, as their routes act: who (for the audit log), and from where. */
export type Operator = { userId: string; email: string; origin?: AccountContext["origin"] };

/** A session signed in with something beyond the password. */
const STRONG_METHODS = new Set(["password+totp", "recovery_code", "passkey"]);

/**
 * Whether the caller is a platform operator, asked of the database on every admin request (they
 * are few and rare: no cache to go stale): their account has the platform role, and this session
 * was signed in with a second factor. A tenant ADMIN gets 403 FORBIDDEN; an operator signed in
 * with the password alone, 403 TWO_FACTOR_REQUIRED.
 */
export async function requireOperator(db: Db, account: AccountContext): Promise<Operator> {
  const [row] = await withSystem(db, (tx) =>
    tx
      .select({ role: users.platformRole, method: sessions.method })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(and(eq(sessions.id, account.sessionId), eq(sessions.userId, account.userId), isNull(sessions.revokedAt))),
  );
  if (row?.role !== "admin") throw new ForbiddenError("This is for the platform's operators");
  if (!STRONG_METHODS.has(row.method)) {
    throw new ForbiddenError("Operator routes need a session signed in with a second factor (TOTP or a passkey)", "TWO_FACTOR_REQUIRED");
  }
  return { userId: account.userId, email: account.email, origin: account.origin };
}
