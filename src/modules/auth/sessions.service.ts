import { and, eq, isNotNull, sql } from "drizzle-orm";
import type { Config } from "../../config/env.ts";
import type { Db, Tx } from "../../db/client.ts";
import { refreshTokens, sessions } from "../../db/schema/index.ts";
import { queryRows } from "../../db/sql.ts";
import { withSystem } from "../../db/tenant.ts";
import { UnauthorizedError } from "../../lib/errors.ts";
import { signAccessToken } from "../../lib/jwt.ts";
import type { Role } from "../../lib/vocabulary.ts";
import { generateToken, hashToken } from "../../lib/tokens.ts";
import type { TokenPair } from "./auth.schemas.ts";
import { type AuthChange, announceAuthChange, revokeSessions } from "./revocations.ts";
import type { SessionGuard } from "./session-guard.ts";

type SessionOwner = { userId: string; orgId: string; role: Role };

/**
 * Sessions and their refresh-token families (RFC 9700 §4.14.2): every refresh spends its
 * token and mints the successor; presenting a spent token again means it was stolen or
 * replayed, and the whole family dies.
 */
export function createSessionService({ db, config, guard }: { db: Db; config: Config; guard: SessionGuard }) {
  const hashRefresh = (token: string) => hashToken(config.JWT_REFRESH_SECRET, "refresh", token);
  const refreshExpiry = () => new Date(Date.now() + config.JWT_REFRESH_EXPIRES_IN * 1000);
  const accessToken = (owner: SessionOwner, sessionId: string) =>
    signAccessToken({ ...owner, sessionId }, config.JWT_ACCESS_SECRET, config.JWT_ACCESS_EXPIRES_IN);

  async function revokeInTx(tx: Tx, sessionId: string): Promise<AuthChange> {
    await revokeSessions(tx, eq(sessions.id, sessionId));
    const change: AuthChange = { kind: "session", sessionId };
    await announceAuthChange(tx, change);
    return change;
  }

  return {
    /** Opens a session for `owner` inside the caller's transaction and returns its first tokens. */
    async start(tx: Tx, owner: SessionOwner): Promise<TokenPair> {
      const refreshToken = generateToken();
      const [session] = await tx
        .insert(sessions)
        .values({ userId: owner.userId, organisationId: owner.orgId })
        .returning({ id: sessions.id });
      if (!session) throw new Error("session insert returned no row");
      await tx
        .insert(refreshTokens)
        .values({ sessionId: session.id, tokenHash: hashRefresh(refreshToken), expiresAt: refreshExpiry() });
      return { accessToken: accessToken(owner, session.id), refreshToken };
    },

    /**
     * Spends `presented` and returns the next pair. One statement marks the token used and
     * inserts its successor, so of N concurrent refreshes exactly one matches `used_at is
     * null`: the others wait on the row lock, re-check, and find it spent. The new access
     * token carries the member's role as it is now, not as it was at login.
     */
    async rotate(presented: string): Promise<TokenPair> {
      const next = generateToken();
      const outcome = await withSystem(db, async (tx) => {
        const [rotated] = await queryRows<{ session_id: string; user_id: string; organisation_id: string; role: Role }>(
          tx,
          sql`
            with used as (
              update refresh_tokens as rt set used_at = now()
              from sessions as s, memberships as m
              where rt.token_hash = ${hashRefresh(presented)}
                and rt.used_at is null
                and rt.expires_at > now()
                and s.id = rt.session_id and s.revoked_at is null
                and m.organisation_id = s.organisation_id and m.user_id = s.user_id
              returning rt.session_id, s.user_id, s.organisation_id, m.role
            ), successor as (
              insert into refresh_tokens (session_id, token_hash, expires_at)
              select session_id, ${hashRefresh(next)}, ${refreshExpiry().toISOString()}::timestamptz from used
            )
            select session_id, user_id, organisation_id, role from used`,
        );
        if (rotated) return { rotated };

        const [spent] = await tx
          .select({ sessionId: refreshTokens.sessionId })
          .from(refreshTokens)
          .where(and(eq(refreshTokens.tokenHash, hashRefresh(presented)), isNotNull(refreshTokens.usedAt)));
        return { revoked: spent ? await revokeInTx(tx, spent.sessionId) : null };
      });

      if ("revoked" in outcome) {
        if (outcome.revoked) guard.apply(outcome.revoked);
        throw new UnauthorizedError(
          outcome.revoked ? "Refresh token was already used; the session has been revoked" : "Invalid or expired refresh token",
        );
      }
      const { rotated } = outcome;
      return {
        accessToken: accessToken(
          { userId: rotated.user_id, orgId: rotated.organisation_id, role: rotated.role },
          rotated.session_id,
        ),
        refreshToken: next,
      };
    },

    /** Ends the session that `presented` belongs to, if it is `userId`'s. Idempotent. */
    async revokeByRefreshToken(userId: string, presented: string): Promise<void> {
      const change = await withSystem(db, async (tx) => {
        const [owned] = await tx
          .select({ sessionId: refreshTokens.sessionId })
          .from(refreshTokens)
          .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
          .where(and(eq(refreshTokens.tokenHash, hashRefresh(presented)), eq(sessions.userId, userId)));
        if (!owned) throw new UnauthorizedError("Invalid refresh token");
        return revokeInTx(tx, owned.sessionId);
      });
      guard.apply(change);
    },
  };
}

export type SessionService = ReturnType<typeof createSessionService>;
