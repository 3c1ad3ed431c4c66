import type { Config } from "../../config/env.ts";
import type { AccountContext, AuthContext } from "../../lib/auth-context.ts";
import { ForbiddenError, UnauthorizedError } from "../../lib/errors.ts";
import { type AccessClaims, createAccessTokenVerifier, verifyAccessToken } from "../../lib/jwt.ts";
import type { SessionGuard } from "../sessions/index.ts";

/**
 * Who is calling, on every request and socket: the access token's signature and expiry, then the
 * session guard (lib/notified-cache.ts keeps it honest on every instance) for whether the session
 * is alive and what the member may do today.
 */
export function createAuthentication({ config, guard }: { config: Config; guard: SessionGuard }) {
  const verify = createAccessTokenVerifier(config.JWT_ACCESS_SECRET);

  /**
   * The caller behind a bearer token: a valid signature is not enough, the session must be
   * alive and the membership current. The role is today's, not the one in the token.
   */
  async function authenticate(bearer: string | undefined): Promise<AccountContext> {
    if (!bearer) throw new UnauthorizedError("Missing bearer token");
    const claims = verify(bearer);
    if (!claims) throw new UnauthorizedError("Invalid or expired access token");
    const holder = await guard.holderOf(claims);
    if (!holder) throw new UnauthorizedError("This session has been revoked");
    return { userId: claims.userId, orgId: claims.orgId, sessionId: claims.sessionId, expiresAt: claims.expiresAt, ...holder };
  }

  return {
    /** The claims of a valid access token (signature and expiry only; no session check), or null. */
    claimsOf: (token: string | undefined): AccessClaims | null => (token ? verify(token) : null),

    authenticate,

    /** The caller as a member of their session's organisation (a socket's AUTH): a session of no organisation is refused. */
    async authenticateMember(bearer: string | undefined): Promise<AuthContext> {
      const account = await authenticate(bearer);
      if (account.orgId === null || account.role === null)
        throw new ForbiddenError("This session belongs to no organisation", "NO_ORGANISATION");
      if (account.secondFactorMissing)
        throw new ForbiddenError("The organisation requires a second factor: set one up first", "TWO_FACTOR_REQUIRED");
      return { ...account, orgId: account.orgId, role: account.role };
    },

    /**
     * For a socket's upgrade: a token we signed that has expired, or whose session was revoked,
     * is told apart from one that is missing or forged, so the socket can be accepted and closed
     * with 4001 (which a browser can read) instead of refused with a 401 (which it cannot).
     */
    async authenticateSocket(token: string | undefined): Promise<AccountContext | "expired"> {
      try {
        return await authenticate(token);
      } catch (error) {
        if (token && verifyAccessToken(token, config.JWT_ACCESS_SECRET, { ignoreExpiration: true })) return "expired";
        throw error;
      }
    },
  };
}
