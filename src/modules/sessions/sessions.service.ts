import { and, eq, isNull, sql } from "drizzle-orm";
import type { Config } from "../../config/env.ts";
import type { Db } from "../../db/client.ts";
import { refreshTokens, sessions } from "../../db/schema/index.ts";
import { withSystem } from "../../db/tenant.ts";
import { runRead } from "../../db/tenant-calls.ts";
import { NotFoundError, UnauthorizedError } from "../../lib/errors.ts";
import { createSessionOpener } from "./opening.ts";
import { revokeSession, revokeUser } from "./revocations.ts";
import { createRotation } from "./rotation.ts";
import { sessionTokens } from "./session-tokens.ts";
import { LIVE_FAMILY, type SessionRow, userSessionsRead } from "./sessions.reads.ts";
import type { LogoutScope, SessionInfo } from "./sessions.schemas.ts";

const liveFamily = sql.raw(LIVE_FAMILY);

/** Sessions: opened by sign-in flows, rotated by refresh, listed and ended by their owner. */
export function createSessionService({ db, config }: { db: Db; config: Config }) {
  const tokens = sessionTokens(config);
  return {
    /** Opens a session for `owner` inside the caller's transaction, once `proof` still holds (opening.ts), and returns its first tokens. */
    start: createSessionOpener(tokens),

    /** What a pending second step keeps of the password it followed (opening.ts checks it when the session opens). */
    passwordFingerprint: tokens.passwordFingerprint,

    /** Spends a refresh token and returns the next pair (rotation.ts). */
    rotate: createRotation({ db, config, tokens }),

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
          .where(and(eq(refreshTokens.tokenHash, tokens.hashRefresh(presented)), eq(sessions.userId, userId)));
        if (!owned) throw new UnauthorizedError("Invalid refresh token");
        if (scope === "local") return revokeSession(tx, owned.sessionId);
        return revokeUser(tx, userId, scope === "others" ? owned.sessionId : undefined);
      });
    },

    /** The user's live sessions (not revoked, refresh token not yet expired), in every organisation, most recently used first. */
    async list(userId: string, currentSessionId: string): Promise<SessionInfo[]> {
      const rows = await runRead<SessionRow>(db, userSessionsRead, [userId]);
      return rows.map((row) => ({
        id: row.id,
        organisationId: row.organisation_id,
        organisationName: row.organisation_name,
        createdAt: row.created_at.toISOString(),
        lastUsedAt: row.last_used_at.toISOString(),
        userAgent: row.user_agent,
        ip: row.ip,
        method: row.method,
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
        return revokeSession(tx, sessionId);
      });
    },

    /** Inside the caller's transaction: revokes every session of `userId` but `except`, and announces it. */
    endAllInTx: revokeUser,
  };
}

export type SessionService = ReturnType<typeof createSessionService>;
