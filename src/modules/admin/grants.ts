import { eq } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { withPlatformScope } from "../../db/platform.ts";
import { users } from "../../db/schema/index.ts";
import { sameEmail } from "../../db/sql.ts";
import { withSystem } from "../../db/tenant.ts";
import { NotFoundError } from "../../lib/errors.ts";
import { announceAuthChange } from "../sessions/index.ts";

/**
 * Makes an existing account a platform operator (or, with `revoke`, an ordinary user again).
 * Only the command line does this (`bun run admin:grant`): whoever can run it already holds the
 * database's credentials. Recorded in platform_audit like every operator action.
 */
export async function grantPlatformRole(db: Db, email: string, { revoke = false } = {}): Promise<{ userId: string; changed: boolean }> {
  const [user] = await withSystem(db, (tx) =>
    tx.select({ id: users.id, email: users.email, role: users.platformRole }).from(users).where(sameEmail(users.email, email)),
  );
  if (!user) throw new NotFoundError(`No account has the email ${email}`);
  const role = revoke ? null : "admin";
  if (user.role === role) return { userId: user.id, changed: false };
  await withPlatformScope(
    db,
    {
      operator: { userId: user.id, email: "command line (admin:grant)" },
      action: revoke ? "operator.revoke" : "operator.grant",
      target: { type: "user", id: user.id },
    },
    async (tx) => {
      await tx.update(users).set({ platformRole: role }).where(eq(users.id, user.id));
      await announceAuthChange(tx, { kind: "requirements", userId: user.id });
    },
  );
  return { userId: user.id, changed: true };
}
