import { and, eq, gt, isNull, sql } from "drizzle-orm";
import type { Config } from "../../config/env.ts";
import type { Db, Tx } from "../../db/client.ts";
import { passwordResets, users } from "../../db/schema/index.ts";
import { sameEmail } from "../../db/sql.ts";
import { withSystem } from "../../db/tenant.ts";
import type { AttemptLimiter } from "../../lib/attempts.ts";
import { BadRequestError, GoneError } from "../../lib/errors.ts";
import type { PasswordHasher } from "../../lib/passwords.ts";
import type { PublicUrl } from "../../lib/public-url.ts";
import { generateToken, hashToken } from "../../lib/tokens.ts";
import { createOutbox, type Mail, passwordResetMail } from "../mail/index.ts";
import type { SessionService } from "../sessions/index.ts";
import type { ResetPasswordInput } from "./account.schemas.ts";

type Deps = {
  db: Db;
  config: Config;
  links: PublicUrl;
  passwords: PasswordHasher;
  /** Reset emails per address per hour: a few, so nobody can flood an inbox through us. */
  resetRequests: AttemptLimiter;
  sessions: SessionService;
};

/**
 * A forgotten password: the request is queued durably, its link minted only when the mail is
 * sent, and redeemed once. Every session of the account ends, on every instance.
 */
export function createPasswordResetService({ db, config, links, passwords, resetRequests, sessions }: Deps) {
  const hashReset = (token: string) => hashToken(config.JWT_REFRESH_SECRET, "reset", token);
  const outbox = createOutbox(config.JWT_REFRESH_SECRET);

  return {
    /**
     * Queues a reset request for `email` — one insert, whether or not it has an account, unless
     * the address has asked too often this hour — and returns once it is safe in the outbox. The
     * answer and its cost are therefore the same for every email; the sender finds out.
     */
    async forgotPassword(email: string): Promise<void> {
      if (!(await resetRequests.allow(email))) return;
      await withSystem(db, (tx) => outbox.queueRequest(tx, "password_reset", email));
    },

    /** The reset mail for `email`, minted as it is sent (the outbox's resolver); null when no account has it. */
    async resetMailFor(tx: Tx, email: string): Promise<Mail | null> {
      const [user] = await tx.select({ id: users.id, email: users.email }).from(users).where(sameEmail(users.email, email));
      if (!user) return null;
      const token = generateToken();
      await tx.insert(passwordResets).values({
        userId: user.id,
        tokenHash: hashReset(token),
        expiresAt: new Date(Date.now() + config.PASSWORD_RESET_EXPIRES_IN * 1000),
      });
      return passwordResetMail({
        to: user.email,
        link: links.to("/reset-password", { token }),
        minutes: Math.round(config.PASSWORD_RESET_EXPIRES_IN / 60),
      });
    },

    /**
     * Redeems a reset token. The token is looked up first, so a guess costs no bcrypt (and
     * guessing 256 random bits is hopeless anyway); then one statement spends it, so of two
     * concurrent resets with the same token exactly one wins.
     */
    async resetPassword({ token, newPassword }: ResetPasswordInput): Promise<void> {
      const tokenHash = hashReset(token);
      const [known] = await withSystem(db, (tx) =>
        tx
          .select({ usedAt: passwordResets.usedAt, expiresAt: passwordResets.expiresAt })
          .from(passwordResets)
          .where(eq(passwordResets.tokenHash, tokenHash)),
      );
      if (!known) throw new BadRequestError("This reset link is not valid", "RESET_LINK_INVALID");
      if (known.usedAt) throw new BadRequestError("This reset link has already been used", "RESET_LINK_INVALID");
      if (known.expiresAt.getTime() <= Date.now())
        throw new GoneError("This reset link has expired; ask for a new one", "RESET_LINK_EXPIRED");

      const passwordHash = await passwords.hash(newPassword);
      await withSystem(db, async (tx) => {
        const [redeemed] = await tx
          .update(passwordResets)
          .set({ usedAt: sql`now()` })
          .where(and(eq(passwordResets.tokenHash, tokenHash), isNull(passwordResets.usedAt), gt(passwordResets.expiresAt, sql`now()`)))
          .returning({ userId: passwordResets.userId });
        if (!redeemed) throw new BadRequestError("This reset link has already been used", "RESET_LINK_INVALID");
        // The link came by email: whoever used it reads that inbox.
        await tx
          .update(users)
          .set({ passwordHash, emailVerifiedAt: sql`coalesce(${users.emailVerifiedAt}, now())` })
          .where(eq(users.id, redeemed.userId));
        await tx
          .update(passwordResets)
          .set({ usedAt: sql`now()` })
          .where(and(eq(passwordResets.userId, redeemed.userId), isNull(passwordResets.usedAt)));
        await sessions.endAllInTx(tx, redeemed.userId);
      });
    },
  };
}

export type PasswordResetService = ReturnType<typeof createPasswordResetService>;
