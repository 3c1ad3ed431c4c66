import { createHmac } from "node:crypto";
import type { Config } from "../../config/env.ts";
import { signAccessToken } from "../../lib/jwt.ts";
import { hashToken } from "../../lib/tokens.ts";
import type { Role } from "../../lib/vocabulary.ts";

/** Whose session: a user in an organisation with a role, or (orgId and role null) in none. */
export type SessionOwner = { userId: string; orgId: string | null; role: Role | null };

/** How a session's tokens are made, stored and derived: one place for the keys and lifetimes. */
export function sessionTokens(
  config: Pick<Config, "JWT_ACCESS_SECRET" | "JWT_REFRESH_SECRET" | "JWT_ACCESS_EXPIRES_IN" | "JWT_REFRESH_EXPIRES_IN">,
) {
  return {
    accessToken: (owner: SessionOwner, sessionId: string) =>
      signAccessToken({ ...owner, sessionId }, config.JWT_ACCESS_SECRET, config.JWT_ACCESS_EXPIRES_IN),
    /** How a refresh token is stored: its HMAC, never the token. */
    hashRefresh: (token: string) => hashToken(config.JWT_REFRESH_SECRET, "refresh", token),
    /**
     * The refresh token that succeeds `token` when it is rotated: derived from it under the
     * server's key, so every instance answers a repeated rotation with the same successor and
     * none is stored readable (the table holds only hashes, and the parent is never stored).
     */
    successorOf: (token: string) => createHmac("sha256", config.JWT_REFRESH_SECRET).update(`successor:${token}`).digest("base64url"),
    refreshExpiry: () => new Date(Date.now() + config.JWT_REFRESH_EXPIRES_IN * 1000),
    /** Which password a pending sign-in step followed, without keeping a copy of its hash: an HMAC of the hash. */
    passwordFingerprint: (passwordHash: string) => hashToken(config.JWT_REFRESH_SECRET, "password", passwordHash),
  };
}

export type SessionTokens = ReturnType<typeof sessionTokens>;
