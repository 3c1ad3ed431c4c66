import { and, asc, eq, inArray, isNull, sql } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { memberships, organisations, outbox, passwordResets, users } from "../../db/schema/index.ts";
import { sameEmail } from "../../db/sql.ts";
import { withSystem } from "../../db/tenant.ts";
import type { AttemptLimiter } from "../../lib/attempts.ts";
import type { AccountContext } from "../../lib/auth-context.ts";
import { ConflictError, UnauthorizedError } from "../../lib/errors.ts";
import type { PasswordHasher } from "../../lib/passwords.ts";
import { recordActivity, summaryOf } from "../activity/index.ts";
import { adminCount } from "../organisations/index.ts";
import type { SessionService } from "../sessions/index.ts";
import type { ChangePasswordInput } from "./account.schemas.ts";

type Deps = { db: Db; passwords: PasswordHasher; attempts: AttemptLimiter; sessions: SessionService };

/**
 * A user's own account: their password and the account itself. Every check of a password is
 * under the credential budget (per address at the route, per account here), and every change
 * that should sign people out revokes sessions on every instance. A forgotten password is
 * password-reset.service.ts.
 */
export function createAccountService({ db, passwords, attempts, sessions }: Deps) {
  /** The account's stored hash, checked against `password` under the account's failed-attempt budget. */
  async function provePassword(auth: AccountContext, password: string, refusal: string): Promise<void> {
    const [account] = await withSystem(db, (tx) => tx.select({ hash: users.passwordHash }).from(users).where(eq(users.id, auth.userId)));
    const proven = await attempts.check(auth.email, () =>
      account ? passwords.verify(password, account.hash) : passwords.verifyNobody(password),
    );
    if (!proven) throw new UnauthorizedError(refusal, "INVALID_CREDENTIALS");
  }

  return {
    /** A new password for the caller; every other session of theirs ends, this one stays. */
    async changePassword(auth: AccountContext, { currentPassword, newPassword }: ChangePasswordInput): Promise<void> {
      await provePassword(auth, currentPassword, "The current password is wrong");
      const passwordHash = await passwords.hash(newPassword);
      await withSystem(db, async (tx) => {
        await tx.update(users).set({ passwordHash }).where(eq(users.id, auth.userId));
        // A reset link asked for before this change must not undo it.
        await tx
          .update(passwordResets)
          .set({ usedAt: sql`now()` })
          .where(and(eq(passwordResets.userId, auth.userId), isNull(passwordResets.usedAt)));
        await sessions.endAllInTx(tx, auth.userId, auth.sessionId);
      });
    },

    /**
     * Deletes the caller's account, unless they are the last ADMIN of an organisation (409,
     * naming it). Each organisation's feed records that they left; entries keep their name.
     */
    async deleteAccount(auth: AccountContext, password: string): Promise<void> {
      await provePassword(auth, password, "The password is wrong");
      await withSystem(db, async (tx) => {
        const joined = await tx
          .select({ organisationId: memberships.organisationId, role: memberships.role, name: organisations.name })
          .from(memberships)
          .innerJoin(organisations, eq(organisations.id, memberships.organisationId))
          .where(eq(memberships.userId, auth.userId))
          .orderBy(asc(memberships.organisationId));
        // Lock every organisation (in one order, so two deletions cannot deadlock) before
        // counting its admins: a concurrent demotion then waits, or is seen.
        if (joined.length > 0) {
          await tx
            .select({ id: organisations.id })
            .from(organisations)
            .where(
              inArray(
                organisations.id,
                joined.map((membership) => membership.organisationId),
              ),
            )
            .orderBy(asc(organisations.id))
            .for("no key update");
        }
        const lastAdminOf: string[] = [];
        for (const membership of joined.filter((each) => each.role === "ADMIN")) {
          if ((await adminCount(tx, membership.organisationId)) <= 1) lastAdminOf.push(membership.name);
        }
        if (lastAdminOf.length > 0) {
          throw new ConflictError(
            `You are the last ADMIN of ${lastAdminOf.join(", ")}: ` +
              "promote someone there (or delete the organisation) before deleting your account",
            "LAST_ADMIN",
          );
        }
        for (const { organisationId } of joined) {
          await recordActivity(
            tx,
            { ...auth, orgId: organisationId },
            {
              type: "USER_LEFT",
              payload: { userId: auth.userId, name: auth.name, email: auth.email, accountDeleted: true },
              target: summaryOf(auth),
            },
          );
        }
        await sessions.endAllInTx(tx, auth.userId);
        // Mail addressed to them goes too: none of it may wait (or linger, sent) after they are gone.
        await tx.delete(outbox).where(sameEmail(outbox.recipient, auth.email));
        await tx.delete(users).where(eq(users.id, auth.userId));
      });
    },
  };
}

export type AccountService = ReturnType<typeof createAccountService>;
