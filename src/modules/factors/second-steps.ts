import type { Db, Tx } from "../../db/client.ts";
import { withSystem } from "../../db/tenant.ts";
import type { AttemptLimiter } from "../../lib/attempts.ts";
import { UnauthorizedError } from "../../lib/errors.ts";
import type { SecondStep } from "../../lib/schemas.ts";
import type { Proof } from "../sessions/index.ts";
import type { Challenges } from "./challenges.ts";
import { secondFactorMethods } from "./standing.ts";
import type { SecondFactorAnswer, TwoFactorService } from "./two-factor.service.ts";

type Deps = {
  db: Db;
  challenges: Challenges;
  twoFactor: TwoFactorService;
  attempts: AttemptLimiter;
  /** sessions.passwordFingerprint: what the step keeps of the password it followed. */
  passwordFingerprint: (passwordHash: string) => string;
};

const EXPIRED = "This sign-in step expired or was already used: sign in again";

/**
 * A login's second step. Every flow that proves a password — login, accepting an invitation
 * into an existing account — asks `demand` before it opens a session: for an account with a
 * second factor it gets an mfaToken instead (five minutes, once, bound to the user, the
 * organisation chosen and the password). `pass` checks the answer under the account's
 * credential budget and hands back the proof the session opens with.
 */
export function createSecondSteps({ db, challenges, twoFactor, attempts, passwordFingerprint }: Deps) {
  return {
    async demand(tx: Tx, step: { userId: string; organisationId: string | null; passwordHash: string }): Promise<SecondStep | null> {
      const methods = await secondFactorMethods(tx, step.userId);
      if (methods.length === 0) return null;
      const mfaToken = await challenges.issueSecondStep(tx, {
        userId: step.userId,
        organisationId: step.organisationId,
        passwordFingerprint: passwordFingerprint(step.passwordHash),
      });
      return { mfaRequired: true, mfaToken, methods };
    },

    async pass(mfaToken: string, answer: SecondFactorAnswer): Promise<{ userId: string; organisationId: string | null; proof: Proof }> {
      twoFactor.requireOneAnswer(answer);
      const pending = await withSystem(db, (tx) => challenges.findSecondStep(tx, mfaToken));
      if (!pending) throw new UnauthorizedError(EXPIRED, "CHALLENGE_EXPIRED");
      let method: "password+totp" | "recovery_code" | null = null;
      const passed = await attempts.check(pending.email, () =>
        withSystem(db, async (tx) => {
          method = await twoFactor.acceptAnswer(tx, pending.userId, answer);
          if (!method) return false;
          // Spent last: of two requests racing with one token, the second rolls back its code too.
          if (!(await challenges.spendSecondStep(tx, mfaToken))) throw new UnauthorizedError(EXPIRED, "CHALLENGE_EXPIRED");
          return true;
        }),
      );
      if (!passed || !method) throw new UnauthorizedError("The code is not valid (or was already used)", "INVALID_CREDENTIALS");
      return {
        userId: pending.userId,
        organisationId: pending.organisationId,
        proof: { kind: "second-factor", passwordFingerprint: pending.passwordFingerprint, method },
      };
    },
  };
}

export type SecondSteps = ReturnType<typeof createSecondSteps>;
