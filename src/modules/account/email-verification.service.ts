import { and, eq, gt, isNull, sql } from "drizzle-orm";
import type { Config } from "../../config/env.ts";
import type { Db, Tx } from "../../db/client.ts";
import { emailVerifications, users } from "../../db/schema/index.ts";
import { sameEmail } from "../../db/sql.ts";
import { withSystem } from "../../db/tenant.ts";
import type { AttemptLimiter } from "../../lib/attempts.ts";
import type { AccountContext } from "../../lib/auth-context.ts";
import { BadRequestError, ConflictError, ForbiddenError, GoneError } from "../../lib/errors.ts";
import type { PublicUrl } from "../../lib/public-url.ts";
import { generateToken, hashToken } from "../../lib/tokens.ts";
import { createOutbox, type Mail, verificationMail } from "../mail/index.ts";

type Deps = {
  db: Db;
  config: Config;
  links: PublicUrl;
  /** Verification emails share the reset budget's rate: a few an hour per address. */
  resetRequests: AttemptLimiter;
};

/**
 * Proving an email address is one's own. A sign-up gets a single-use link (stored as its HMAC,
 * minted when the mail is sent); using it, or an emailed invitation or reset link, marks the
 * address verified. EMAIL_VERIFICATION=required keeps an unverified account from inviting
 * others or changing the plan; `optional` only shows the state.
 */
export function createEmailVerificationService({ db, config, links, resetRequests }: Deps) {
  const hashVerification = (token: string) => hashToken(config.JWT_REFRESH_SECRET, "verify", token);
  const outbox = createOutbox(config.JWT_REFRESH_SECRET);
  const verifiedAt = async (userId: string) =>
    (await withSystem(db, (tx) => tx.select({ at: users.emailVerifiedAt }).from(users).where(eq(users.id, userId))))[0]?.at ?? null;

  return {
    /** Inside the caller's transaction (a sign-up): a verification link for `email` goes out. */
    queue: (tx: Tx, email: string) => outbox.queueRequest(tx, "email_verification", email),

    /** The verification mail for `email`, minted as it is sent (the outbox's resolver); null when there is nothing to verify. */
    async verificationMailFor(tx: Tx, email: string): Promise<Mail | null> {
      const [user] = await tx
        .select({ id: users.id, email: users.email, verifiedAt: users.emailVerifiedAt })
        .from(users)
        .where(sameEmail(users.email, email));
      if (!user || user.verifiedAt) return null;
      const token = generateToken();
      await tx.insert(emailVerifications).values({
        userId: user.id,
        tokenHash: hashVerification(token),
        expiresAt: new Date(Date.now() + config.EMAIL_VERIFICATION_EXPIRES_IN * 1000),
      });
      return verificationMail({
        to: user.email,
        link: links.to("/verify-email", { token }),
        hours: Math.round(config.EMAIL_VERIFICATION_EXPIRES_IN / 3600),
      });
    },

    /** Redeems a verification token: one statement spends it, and the address is verified. */
    async verify(token: string): Promise<void> {
      const tokenHash = hashVerification(token);
      await withSystem(db, async (tx) => {
        const [redeemed] = await tx
          .update(emailVerifications)
          .set({ usedAt: sql`now()` })
          .where(
            and(
              eq(emailVerifications.tokenHash, tokenHash),
              isNull(emailVerifications.usedAt),
              gt(emailVerifications.expiresAt, sql`now()`),
            ),
          )
          .returning({ userId: emailVerifications.userId });
        if (!redeemed) {
          const [known] = await tx
            .select({ usedAt: emailVerifications.usedAt })
            .from(emailVerifications)
            .where(eq(emailVerifications.tokenHash, tokenHash));
          if (!known || known.usedAt)
            throw new BadRequestError("This verification link is not valid, or was used already", "VERIFICATION_LINK_INVALID");
          throw new GoneError("This verification link has expired; ask for a new one", "VERIFICATION_LINK_EXPIRED");
        }
        await tx
          .update(users)
          .set({ emailVerifiedAt: sql`coalesce(${users.emailVerifiedAt}, now())` })
          .where(eq(users.id, redeemed.userId));
      });
    },

    /** Another link for the caller's address (a few an hour at most); 409 once verified. */
    async resend(account: AccountContext): Promise<void> {
      if (await verifiedAt(account.userId)) throw new ConflictError("This email address is already verified");
      await resetRequests.take(`verify:${account.email}`, "Too many verification emails for this address");
      await withSystem(db, (tx) => outbox.queueRequest(tx, "email_verification", account.email));
    },

    /** Whether the caller's address is verified. */
    isVerified: async (userId: string): Promise<boolean> => (await verifiedAt(userId)) !== null,

    /** With EMAIL_VERIFICATION=required, a 403 until the caller's address is verified; nothing otherwise. */
    async requireVerified(account: AccountContext): Promise<void> {
      if (config.EMAIL_VERIFICATION !== "required") return;
      if (!(await verifiedAt(account.userId)))
        throw new ForbiddenError("Confirm your email address first: we sent you a link", "EMAIL_NOT_VERIFIED");
    },
  };
}

export type EmailVerificationService = ReturnType<typeof createEmailVerificationService>;
