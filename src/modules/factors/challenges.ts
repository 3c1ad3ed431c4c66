import { and, eq, gt, isNull, sql } from "drizzle-orm";
import type { Tx } from "../../db/client.ts";
import { authChallenges, type ChallengePurpose, users } from "../../db/schema/index.ts";
import { generateToken, hashToken } from "../../lib/tokens.ts";

/** A login's second step and a WebAuthn ceremony each have five minutes. */
const CHALLENGE_TTL_MS = 5 * 60_000;

export type PendingSecondStep = {
  id: string;
  userId: string;
  email: string;
  organisationId: string | null;
  passwordFingerprint: string;
};

/**
 * Single-use, short-lived proofs in flight. The mfaToken is stored as its HMAC; a WebAuthn
 * challenge as itself (the client signs it, so it is not a secret). Spending one is a single
 * `update … where used_at is null`: of two concurrent spends, exactly one gets the row.
 */
export function createChallenges(secret: string) {
  const mfaHash = (token: string) => hashToken(secret, "mfa", token);
  const live = (purpose: ChallengePurpose, value: string) =>
    and(
      eq(authChallenges.purpose, purpose),
      eq(authChallenges.secret, value),
      isNull(authChallenges.usedAt),
      gt(authChallenges.expiresAt, sql`now()`),
    );
  const expiresAt = () => new Date(Date.now() + CHALLENGE_TTL_MS);
  // Spent and lapsed challenges are worthless: each new one clears those an hour past their expiry (on the expiry index).
  const purgeLapsed = (tx: Tx) => tx.delete(authChallenges).where(sql`${authChallenges.expiresAt} < now() - interval '1 hour'`);

  return {
    /** A login's second step: the mfaToken, bound to the user, the organisation the login chose and the password it followed. */
    async issueSecondStep(tx: Tx, step: { userId: string; organisationId: string | null; passwordFingerprint: string }): Promise<string> {
      const token = generateToken();
      await purgeLapsed(tx);
      await tx.insert(authChallenges).values({ purpose: "mfa", secret: mfaHash(token), ...step, expiresAt: expiresAt() });
      return token;
    },

    /** The pending step of `token`, not spent (a read: the budget is keyed by its user before anything is checked). */
    async findSecondStep(tx: Tx, token: string): Promise<PendingSecondStep | null> {
      const [row] = await tx
        .select({
          id: authChallenges.id,
          userId: authChallenges.userId,
          email: users.email,
          organisationId: authChallenges.organisationId,
          passwordFingerprint: authChallenges.passwordFingerprint,
        })
        .from(authChallenges)
        .innerJoin(users, eq(users.id, authChallenges.userId))
        .where(live("mfa", mfaHash(token)));
      if (!row?.userId || !row.passwordFingerprint) return null;
      return { ...row, userId: row.userId, passwordFingerprint: row.passwordFingerprint };
    },

    /** Spends the step; false when another request spent it first (or it expired meanwhile). */
    async spendSecondStep(tx: Tx, token: string): Promise<boolean> {
      const spent = await tx
        .update(authChallenges)
        .set({ usedAt: sql`now()` })
        .where(live("mfa", mfaHash(token)))
        .returning({ id: authChallenges.id });
      return spent.length === 1;
    },

    /** Records a WebAuthn challenge handed to a client (for a registration, whose user it is). */
    async issueCeremony(tx: Tx, purpose: Exclude<ChallengePurpose, "mfa">, challenge: string, userId: string | null) {
      await purgeLapsed(tx);
      await tx.insert(authChallenges).values({ purpose, secret: challenge, userId, expiresAt: expiresAt() });
    },

    /** Spends a WebAuthn challenge the client answered; false when unknown, used, expired, or (for a registration) another user's. */
    async spendCeremony(tx: Tx, purpose: Exclude<ChallengePurpose, "mfa">, challenge: string, userId: string | null): Promise<boolean> {
      const spent = await tx
        .update(authChallenges)
        .set({ usedAt: sql`now()` })
        .where(and(live(purpose, challenge), userId ? eq(authChallenges.userId, userId) : undefined))
        .returning({ id: authChallenges.id });
      return spent.length === 1;
    },
  };
}

export type Challenges = ReturnType<typeof createChallenges>;
