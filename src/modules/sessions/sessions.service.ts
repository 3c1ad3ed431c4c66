import { and, desc, eq, exists, isNotNull, isNull, ne, sql } from "drizzle-orm";
import type { Config } from "../../config/env.ts";
import type { Db, Tx } from "../../db/client.ts";
import type { AuthChange } from "../../db/notifications.ts";
import { organisations, refreshTokens, sessions } from "../../db/schema/index.ts";
import { queryRows } from "../../db/sql.ts";
import { withSystem } from "../../db/tenant.ts";
import type { ClientOrigin } from "../../lib/auth-context.ts";
import { NotFoundError, UnauthorizedError } from "../../lib/errors.ts";
import { signAccessToken } from "../../lib/jwt.ts";
import { generateToken, hashToken } from "../../lib/tokens.ts";
import type { Role } from "../../lib/vocabulary.ts";
import { announceAuthChange, revokeSessions } from "./revocations.ts";
import type { LogoutScope, SessionInfo, TokenPair } from "./sessions.schemas.ts";

type SessionOwner = { userId: string; orgId: string; role: Role };

/** A session whose refresh-token family can still be used: it has an unspent, unexpired token. */
const liveFamily = exists(
  sql`(select 1 from ${refreshTokens} where ${refreshTokens.sessionId} = ${sessions.id}
       and ${refreshTokens.usedAt} is null and ${refreshTokens.expiresAt} > now())`,
);

/**
 * Sessions and their refresh-token families (RFC 9700 §4.14.2): every refresh spends its
 * token and mints the successor; presenting a spent token again means it was stolen or
 * replayed, and the whole family dies.
 */
export function createSessionService({ db, config }: { db: Db; config: Config }) {
  const hashRefresh = (token: string) => hashToken(config.JWT_REFRESH_SECRET, "refresh", token);
  const refreshExpiry = () => new Date(Date.now() + config.JWT_REFRESH_EXPIRES_IN * 1000);
  const accessToken = (owner: SessionOwner, sessionId: string) =>
    signAccessToken({ ...owner, sessionId }, config.JWT_ACCESS_SECRET, config.JWT_ACCESS_EXPIRES_IN);

  async function revokeUserInTx(tx: Tx, userId: string, except?: string): Promise<void> {
    await revokeSessions(tx, and(eq(sessions.userId, userId), except ? ne(sessions.id, except) : undefined));
    const change: AuthChange = { kind: "user", userId, ...(except ? { exceptSessionId: except } : {}) };
    await announceAuthChange(tx, change);
  }

  async function revokeInTx(tx: Tx, sessionId: string): Promise<void> {
    await revokeSessions(tx, eq(sessions.id, sessionId));
    await announceAuthChange(tx, { kind: "session", sessionId });
  }

  return {
    /** Opens a session for `owner` inside the caller's transaction and returns its first tokens. */
    async start(tx: Tx, owner: SessionOwner, origin: ClientOrigin): Promise<TokenPair> {
      const refreshToken = generateToken();
      const [session] = await tx
        .insert(sessions)
        .values({ userId: owner.userId, organisationId: owner.orgId, ip: origin.ip, userAgent: origin.userAgent?.slice(0, 512) })
        .returning({ id: sessions.id });
      if (!session) throw new Error("session insert returned no row");
      await tx.insert(refreshTokens).values({ sessionId: session.id, tokenHash: hashRefresh(refreshToken), expiresAt: refreshExpiry() });
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
            ), touched as (
              update sessions set last_used_at = now() where id = (select session_id from used)
            )
            select session_id, user_id, organisation_id, role from used`,
        );
        if (rotated) return { rotated };

        const [spent] = await tx
          .select({ sessionId: refreshTokens.sessionId })
          .from(refreshTokens)
          .where(and(eq(refreshTokens.tokenHash, hashRefresh(presented)), isNotNull(refreshTokens.usedAt)));
        if (spent) await revokeInTx(tx, spent.sessionId);
        return { revoked: Boolean(spent) };
      });

      if ("revoked" in outcome) {
        throw new UnauthorizedError(
          outcome.revoked ? "Refresh token was already used; the session has been revoked" : "Invalid or expired refresh token",
        );
      }
      const { rotated } = outcome;
      return {
        accessToken: accessToken({ userId: rotated.user_id, orgId: rotated.organisation_id, role: rotated.role }, rotated.session_id),
        refreshToken: next,
      };
    },

    /**
     * Signs out: `local` ends the session that `presented` belongs to, `others` every other
     * session of the user (in every organisation), `global` all of them. The refresh token must
     * be the caller's. Every instance hears it: access tokens die on their next request and
     * sockets close (4001).
     */
    async logout(userId: string, presented: string, scope: LogoutScope): Promise<void> {
      await withSystem(db, async (tx) => {
        const [owned] = await tx
          .select({ sessionId: refreshTokens.sessionId })
          .from(refreshTokens)
          .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
          .where(and(eq(refreshTokens.tokenHash, hashRefresh(presented)), eq(sessions.userId, userId)));
        if (!owned) throw new UnauthorizedError("Invalid refresh token");
        if (scope === "local") return revokeInTx(tx, owned.sessionId);
        return revokeUserInTx(tx, userId, scope === "others" ? owned.sessionId : undefined);
      });
    },

    /** The user's live sessions (not revoked, refresh token not yet expired), in every organisation, most recently used first. */
    async list(userId: string, currentSessionId: string): Promise<SessionInfo[]> {
      const rows = await withSystem(db, (tx) =>
        tx
          .select({
            id: sessions.id,
            organisationId: sessions.organisationId,
            organisationName: organisations.name,
            createdAt: sessions.createdAt,
            lastUsedAt: sessions.lastUsedAt,
            userAgent: sessions.userAgent,
            ip: sessions.ip,
          })
          .from(sessions)
          .innerJoin(organisations, eq(organisations.id, sessions.organisationId))
          .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), liveFamily))
          .orderBy(desc(sessions.lastUsedAt)),
      );
      return rows.map((row) => ({
        ...row,
        createdAt: row.createdAt.toISOString(),
        lastUsedAt: row.lastUsedAt.toISOString(),
        current: row.id === currentSessionId,
      }));
    },

    /** Ends one of the user's sessions; another user's (or an unknown) session is a 404. */
    async end(userId: string, sessionId: string): Promise<void> {
      await withSystem(db, async (tx) => {
        const [owned] = await tx
          .select({ id: sessions.id })
          .from(sessions)
          .where(and(eq(sessions.id, sessionId), eq(sessions.userId, userId), isNull(sessions.revokedAt), liveFamily));
        if (!owned) throw new NotFoundError("Session not found");
        return revokeInTx(tx, sessionId);
      });
    },

    /** Inside the caller's transaction: revokes every session of `userId` but `except`, and announces it. */
    endAllInTx: revokeUserInTx,
  };
}

export type SessionService = ReturnType<typeof createSessionService>;
