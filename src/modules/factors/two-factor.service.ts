import { eq } from "drizzle-orm";
import type { Config } from "../../config/env.ts";
import type { Db, Tx } from "../../db/client.ts";
import { memberships, totpFactors, users } from "../../db/schema/index.ts";
import { withSystem } from "../../db/tenant.ts";
import type { AttemptLimiter } from "../../lib/attempts.ts";
import type { AccountContext } from "../../lib/auth-context.ts";
import { ConflictError, InvalidInputError, UnauthorizedError } from "../../lib/errors.ts";
import type { PasswordHasher } from "../../lib/passwords.ts";
import { createSealer } from "../../lib/sealed.ts";
import { recordActivity } from "../activity/index.ts";
import { createOutbox, twoFactorDisabledMail } from "../mail/index.ts";
import { createRecoveryCodes } from "./recovery-codes.ts";
import { secondFactorsChanged } from "./standing.ts";
import { newTotpSecret, otpauthUrl, stepOf } from "./totp.ts";

type Deps = { db: Db; config: Config; passwords: PasswordHasher; attempts: AttemptLimiter };

/** What a second step or a disabling presents: an authenticator code, or one of the recovery codes. */
export type SecondFactorAnswer = { code?: string | undefined; recoveryCode?: string | undefined };

const WRONG_CODE = "The code is not valid (or was already used)";
const ISSUER = "SaaS backend";

/**
 * TOTP for an account: set up (with the password), enabled by a first valid code (which returns
 * ten recovery codes, once), disabled with the password and a code, and checked at sign-in.
 * Every check of a code spends the account's credential budget exactly as a password guess does.
 */
export function createTwoFactorService({ db, config, passwords, attempts }: Deps) {
  const sealer = createSealer(config.JWT_REFRESH_SECRET, "totp");
  const recovery = createRecoveryCodes(config.JWT_REFRESH_SECRET);
  const outbox = createOutbox(config.JWT_REFRESH_SECRET);

  /** The password, under the account's budget; a 401 when it is wrong. */
  async function requirePassword(account: AccountContext, password: string) {
    const [user] = await withSystem(db, (tx) => tx.select({ hash: users.passwordHash }).from(users).where(eq(users.id, account.userId)));
    const valid = await attempts.check(account.email, () => (user ? passwords.verify(password, user.hash) : Promise.resolve(false)));
    if (!valid) throw new UnauthorizedError("The password is not correct", "INVALID_CREDENTIALS");
  }

  /**
   * Accepts `code` for the user's enabled TOTP if it is valid within a step of now and newer than
   * the last code accepted (a code works once, even inside its window). Locks the factor row, so
   * two requests with one code cannot both pass.
   */
  async function acceptTotp(tx: Tx, userId: string, code: string, { pending = false } = {}): Promise<boolean> {
    const [factor] = await tx.select().from(totpFactors).where(eq(totpFactors.userId, userId)).for("update");
    if (!factor || (pending ? factor.enabledAt !== null : factor.enabledAt === null)) return false;
    const step = stepOf(sealer.open(factor.secret), code);
    if (step === null || (factor.lastUsedStep !== null && step <= factor.lastUsedStep)) return false;
    await tx.update(totpFactors).set({ lastUsedStep: step }).where(eq(totpFactors.userId, userId));
    return true;
  }

  /** Checks a code or a recovery code (spending it) in `tx`; which one passed, or null. */
  async function acceptAnswer(tx: Tx, userId: string, answer: SecondFactorAnswer): Promise<"password+totp" | "recovery_code" | null> {
    if (answer.code !== undefined) return (await acceptTotp(tx, userId, answer.code)) ? "password+totp" : null;
    if (answer.recoveryCode !== undefined) return (await recovery.spend(tx, userId, answer.recoveryCode)) ? "recovery_code" : null;
    return null;
  }

  const requireOneAnswer = (answer: SecondFactorAnswer) => {
    if ((answer.code === undefined) === (answer.recoveryCode === undefined)) {
      const message = "Give either code or recoveryCode";
      throw new InvalidInputError(message, [{ path: "code", message }]);
    }
  };

  return {
    acceptAnswer,
    requireOneAnswer,

    /** A new secret, not yet in force: it counts once a first code from it is verified (enable). */
    async setup(account: AccountContext, password: string): Promise<{ secret: string; otpauthUrl: string }> {
      await requirePassword(account, password);
      return withSystem(db, async (tx) => {
        const [existing] = await tx
          .select({ enabledAt: totpFactors.enabledAt })
          .from(totpFactors)
          .where(eq(totpFactors.userId, account.userId));
        if (existing?.enabledAt)
          throw new ConflictError("Two-factor codes are already on: disable them first to set up another authenticator");
        const secret = newTotpSecret();
        const sealed = { secret: sealer.seal(secret), enabledAt: null, lastUsedStep: null };
        await tx
          .insert(totpFactors)
          .values({ userId: account.userId, ...sealed })
          .onConflictDoUpdate({ target: totpFactors.userId, set: sealed });
        return { secret, otpauthUrl: otpauthUrl(secret, account.email, ISSUER) };
      });
    },

    /** The first valid code turns it on and returns ten recovery codes, shown this once. */
    async enable(account: AccountContext, code: string): Promise<{ recoveryCodes: string[] }> {
      let codes: string[] = [];
      const valid = await attempts.check(account.email, () =>
        withSystem(db, async (tx) => {
          const [factor] = await tx
            .select({ enabledAt: totpFactors.enabledAt })
            .from(totpFactors)
            .where(eq(totpFactors.userId, account.userId));
          if (!factor) throw new ConflictError("Set up an authenticator first (POST /api/auth/2fa/setup)");
          if (factor.enabledAt) throw new ConflictError("Two-factor codes are already on");
          if (!(await acceptTotp(tx, account.userId, code, { pending: true }))) return false;
          await tx.update(totpFactors).set({ enabledAt: new Date() }).where(eq(totpFactors.userId, account.userId));
          codes = await recovery.replace(tx, account.userId);
          await secondFactorsChanged(tx, account.userId);
          return true;
        }),
      );
      if (!valid) throw new UnauthorizedError(WRONG_CODE, "INVALID_CREDENTIALS");
      return { recoveryCodes: codes };
    },

    /**
     * Turns TOTP off with the password and a code (or a recovery code): the secret and the
     * recovery codes go, each of the user's organisations records TWO_FACTOR_DISABLED, and the
     * user is emailed, so a thief who did it does not go unnoticed.
     */
    async disable(account: AccountContext, password: string, answer: SecondFactorAnswer): Promise<void> {
      requireOneAnswer(answer);
      await requirePassword(account, password);
      const valid = await attempts.check(account.email, () =>
        withSystem(db, async (tx) => {
          if (!(await acceptAnswer(tx, account.userId, answer))) return false;
          await tx.delete(totpFactors).where(eq(totpFactors.userId, account.userId));
          await recovery.remove(tx, account.userId);
          await secondFactorsChanged(tx, account.userId);
          const organisations = await tx
            .select({ id: memberships.organisationId })
            .from(memberships)
            .where(eq(memberships.userId, account.userId));
          for (const { id } of organisations) {
            await recordActivity(
              tx,
              { ...account, orgId: id },
              {
                type: "TWO_FACTOR_DISABLED",
                payload: { userId: account.userId, name: account.name, email: account.email },
              },
            );
          }
          await outbox.queue(tx, twoFactorDisabledMail({ to: account.email }));
          return true;
        }),
      );
      if (!valid) throw new UnauthorizedError(WRONG_CODE, "INVALID_CREDENTIALS");
    },

    /** A new set of recovery codes (the old set is void), for a valid code. */
    async regenerateRecoveryCodes(account: AccountContext, code: string): Promise<{ recoveryCodes: string[] }> {
      let codes: string[] = [];
      const valid = await attempts.check(account.email, () =>
        withSystem(db, async (tx) => {
          if (!(await acceptTotp(tx, account.userId, code))) return false;
          codes = await recovery.replace(tx, account.userId);
          return true;
        }),
      );
      if (!valid) throw new UnauthorizedError(WRONG_CODE, "INVALID_CREDENTIALS");
      return { recoveryCodes: codes };
    },
  };
}

export type TwoFactorService = ReturnType<typeof createTwoFactorService>;
