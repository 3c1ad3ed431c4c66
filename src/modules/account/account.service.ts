import { and, asc, eq, gt, inArray, isNull, sql } from "drizzle-orm";
import type { Config } from "../../config/env.ts";
import type { Db } from "../../db/client.ts";
import { memberships, organisations, passwordResets, users } from "../../db/schema/index.ts";
import { sameEmail } from "../../db/sql.ts";
import { withSystem } from "../../db/tenant.ts";
import type { AttemptLimiter } from "../../lib/attempts.ts";
import type { AuthContext } from "../../lib/auth-context.ts";
import { BadRequestError, ConflictError, GoneError, UnauthorizedError } from "../../lib/errors.ts";
import type { Logger } from "../../lib/logger.ts";
import type { PasswordHasher } from "../../lib/passwords.ts";
import { generateToken, hashToken } from "../../lib/tokens.ts";
import { recordActivity, summaryOf } from "../activity/index.ts";
import { passwordResetMail, queueMail } from "../mail/index.ts";
import { adminCount } from "../organisations/index.ts";
import type { SessionService } from "../sessions/index.ts";
import type { ChangePasswordInput, ResetPasswordInput } from "./account.schemas.ts";

type Deps = {
  db: Db;
  config: Config;
  logger: Logger;
  passwords: PasswordHasher;
  attempts: AttemptLimiter;
  /** Reset emails per address per hour: a few, so nobody can flood an inbox through us. */
  resetRequests: AttemptLimiter;
  sessions: SessionService;
};

/**
 * A user's own account: their password (changed, or reset by email) and the account itself.
 * Every check of a password or token is under the credential budget (per address at the route,
 * per account here), and every change that should sign people out revokes sessions on every
 * instance, as member removal does.
 */
export function createAccountService({ db, config, logger, passwords, attempts, resetRequests, sessions }: Deps) {
  const hashReset = (token: string) => hashToken(config.JWT_REFRESH_SECRET, "reset", token);

  /** The account's stored hash, checked against `password` under the account's failed-attempt budget. */
  async function provePassword(auth: AuthContext, password: string, refusal: string): Promise<void> {
    const [account] = await withSystem(db, (tx) => tx.select({ hash: users.passwordHash }).from(users).where(eq(users.id, auth.userId)));
    const proven = await attempts.check(auth.email, () =>
      account ? passwords.verify(password, account.hash) : passwords.verifyNobody(password),
    );
    if (!proven) throw new UnauthorizedError(refusal, "INVALID_CREDENTIALS");
  }

  /** Emails a reset link to `email`'s account, if it has one and has not asked too often. */
  async function sendResetLink(email: string): Promise<void> {
    if (!(await resetRequests.allow(email))) return logger.info("password reset not sent: too many requests for this address this hour");
    const token = generateToken();
    await withSystem(db, async (tx) => {
      const [user] = await tx.select({ id: users.id, email: users.email }).from(users).where(sameEmail(users.email, email));
      if (!user) return;
      await tx.insert(passwordResets).values({
        userId: user.id,
        tokenHash: hashReset(token),
        expiresAt: new Date(Date.now() + config.PASSWORD_RESET_EXPIRES_IN * 1000),
      });
      await queueMail(
        tx,
        passwordResetMail({
          to: user.email,
          link: `${config.APP_URL}/reset-password?token=${encodeURIComponent(token)}`,
          minutes: Math.round(config.PASSWORD_RESET_EXPIRES_IN / 60),
        }),
      );
    });
  }

  return {
    /** A new password for the caller; every other session of theirs ends, this one stays. */
    async changePassword(auth: AuthContext, { currentPassword, newPassword }: ChangePasswordInput): Promise<void> {
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
     * Starts a reset and returns before doing anything: the caller answers 202 at once, so
     * neither the answer nor its timing says whether `email` has an account.
     */
    forgotPassword(email: string): void {
      void sendResetLink(email).catch((error) =>
        logger.error("password reset link failed", { error: error instanceof Error ? error.message : String(error) }),
      );
    },

    /**
     * Redeems a reset token: one statement spends it, so of two concurrent resets with the same
     * token exactly one wins. Every session of the account ends, on every instance.
     */
    async resetPassword({ token, newPassword }: ResetPasswordInput): Promise<void> {
      const tokenHash = hashReset(token);
      const passwordHash = await passwords.hash(newPassword);
      await withSystem(db, async (tx) => {
        const [redeemed] = await tx
          .update(passwordResets)
          .set({ usedAt: sql`now()` })
          .where(and(eq(passwordResets.tokenHash, tokenHash), isNull(passwordResets.usedAt), gt(passwordResets.expiresAt, sql`now()`)))
          .returning({ userId: passwordResets.userId });
        if (!redeemed) {
          const [known] = await tx
            .select({ usedAt: passwordResets.usedAt })
            .from(passwordResets)
            .where(eq(passwordResets.tokenHash, tokenHash));
          if (!known) throw new BadRequestError("This reset link is not valid", "RESET_LINK_INVALID");
          if (known.usedAt) throw new BadRequestError("This reset link has already been used", "RESET_LINK_INVALID");
          throw new GoneError("This reset link has expired; ask for a new one", "RESET_LINK_EXPIRED");
        }
        await tx.update(users).set({ passwordHash }).where(eq(users.id, redeemed.userId));
        await tx
          .update(passwordResets)
          .set({ usedAt: sql`now()` })
          .where(and(eq(passwordResets.userId, redeemed.userId), isNull(passwordResets.usedAt)));
        await sessions.endAllInTx(tx, redeemed.userId);
      });
    },

    /**
     * Deletes the caller's account, unless they are the last ADMIN of an organisation (409,
     * naming it). Each organisation's feed records that they left; entries keep their name.
     */
    async deleteAccount(auth: AuthContext, password: string): Promise<void> {
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
        await tx.delete(users).where(eq(users.id, auth.userId));
      });
    },
  };
}

export type AccountService = ReturnType<typeof createAccountService>;
