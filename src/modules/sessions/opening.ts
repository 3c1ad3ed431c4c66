import { and, eq, isNull } from "drizzle-orm";
import type { Tx } from "../../db/client.ts";
import { passkeys, refreshTokens, type SessionMethod, sessions, users } from "../../db/schema/index.ts";
import type { ClientOrigin } from "../../lib/auth-context.ts";
import { ForbiddenError, isForeignKeyViolation, UnauthorizedError } from "../../lib/errors.ts";
import { generateToken } from "../../lib/tokens.ts";
import type { SessionOwner, SessionTokens } from "./session-tokens.ts";
import type { TokenPair } from "./sessions.schemas.ts";

/**
 * What a flow proved before it asks for a session. Proving (bcrypt, a code) runs with no lock
 * held, so by the time the session opens the proof may be stale: the password changed, the
 * parent session was revoked. `open` re-checks the proof under a share lock in the transaction
 * that inserts the session, so whatever revokes concurrently either waits for the new session
 * (and then revokes it too) or is seen and refuses it. One rule for every flow that opens a
 * session: a new flow adds a kind here, never a copy of the check.
 */
export type Proof =
  /** The user's password matched this stored hash (and they have no second factor). */
  | { kind: "password"; passwordHash: string }
  /** A live session of the same user (switch-organisation): the new session is its descendant, made the way it was. */
  | { kind: "session"; sessionId: string }
  /** The account was created in this very transaction (register, accept-invite as a new account). */
  | { kind: "new-account" }
  /**
   * A second step passed after a password: the password it followed (`passwordFingerprint`,
   * session-tokens.ts) must still be the account's password.
   */
  | { kind: "second-factor"; passwordFingerprint: string; method: "password+totp" | "recovery_code" }
  /** A passkey signed the challenge; it must still exist, unflagged. */
  | { kind: "passkey"; passkeyId: string };

const STALE = "Your credentials changed while signing in; sign in again";

type Checked = { parentId: string | null; method: SessionMethod };

async function recheck(tx: Tx, userId: string, proof: Proof, tokens: SessionTokens): Promise<Checked> {
  const account = async () =>
    (
      await tx
        .select({ hash: users.passwordHash, hasSecondFactor: users.hasSecondFactor })
        .from(users)
        .where(eq(users.id, userId))
        .for("share")
    )[0];
  switch (proof.kind) {
    case "password": {
      const user = await account();
      if (user?.hash !== proof.passwordHash) throw new UnauthorizedError(STALE, "INVALID_CREDENTIALS");
      // A second factor added while this sign-in was in flight: the password alone no longer opens a session.
      if (user.hasSecondFactor) throw new UnauthorizedError("This account now has a second factor; sign in again", "INVALID_CREDENTIALS");
      return { parentId: null, method: "password" };
    }
    case "second-factor": {
      const hash = (await account())?.hash;
      if (!hash || tokens.passwordFingerprint(hash) !== proof.passwordFingerprint)
        throw new UnauthorizedError(STALE, "INVALID_CREDENTIALS");
      return { parentId: null, method: proof.method };
    }
    case "passkey": {
      const [passkey] = await tx
        .select({ id: passkeys.id })
        .from(passkeys)
        .where(and(eq(passkeys.id, proof.passkeyId), eq(passkeys.userId, userId), isNull(passkeys.flaggedAt)))
        .for("share");
      if (!passkey) throw new UnauthorizedError(STALE, "INVALID_CREDENTIALS");
      return { parentId: null, method: "passkey" };
    }
    case "session": {
      const [parent] = await tx
        .select({ id: sessions.id, method: sessions.method })
        .from(sessions)
        .where(and(eq(sessions.id, proof.sessionId), eq(sessions.userId, userId), isNull(sessions.revokedAt)))
        .for("share");
      if (!parent) throw new UnauthorizedError("This session has been revoked");
      // A session signed in with the password alone, before a second factor was added, does not pass that on.
      if (parent.method === "password" && (await account())?.hasSecondFactor) {
        throw new ForbiddenError("This account now has a second factor: sign in again with it first", "TWO_FACTOR_REQUIRED");
      }
      return { parentId: parent.id, method: parent.method };
    }
    case "new-account":
      return { parentId: null, method: "password" };
  }
}

/** Opens sessions: re-checks the proof, inserts the session and its first refresh token, returns the pair. */
export function createSessionOpener(tokens: SessionTokens) {
  return async function open(tx: Tx, owner: SessionOwner, origin: ClientOrigin, proof: Proof): Promise<TokenPair> {
    const { parentId, method } = await recheck(tx, owner.userId, proof, tokens);
    // Whatever the proof, a disabled account opens nothing (told only after the proof held: no oracle).
    const [user] = await tx.select({ disabledAt: users.disabledAt }).from(users).where(eq(users.id, owner.userId));
    if (user?.disabledAt) throw new ForbiddenError("This account has been disabled by the platform's operators", "ACCOUNT_DISABLED");
    const refreshToken = generateToken();
    try {
      const [session] = await tx
        .insert(sessions)
        .values({
          userId: owner.userId,
          organisationId: owner.orgId,
          parentId,
          method,
          ip: origin.ip,
          userAgent: origin.userAgent?.slice(0, 512),
        })
        .returning({ id: sessions.id });
      if (!session) throw new Error("session insert returned no row");
      await tx
        .insert(refreshTokens)
        .values({ sessionId: session.id, tokenHash: tokens.hashRefresh(refreshToken), expiresAt: tokens.refreshExpiry() });
      return { accessToken: tokens.accessToken(owner, session.id), refreshToken };
    } catch (error) {
      // The account or the organisation was deleted while this sign-in was in flight.
      if (isForeignKeyViolation(error)) throw new UnauthorizedError("This account or organisation no longer exists");
      throw error;
    }
  };
}

export type OpenSession = ReturnType<typeof createSessionOpener>;
