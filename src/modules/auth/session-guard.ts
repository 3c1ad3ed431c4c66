import { and, eq, inArray, isNull } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { memberships, sessions, users } from "../../db/schema/index.ts";
import { withOrg } from "../../db/tenant.ts";
import type { AccessClaims } from "../../lib/jwt.ts";
import type { Role } from "../../lib/vocabulary.ts";
import type { AuthChange } from "./revocations.ts";

/** Where a session stands now: the member's current role, or null when it no longer counts. */
export type Standing = { role: Role; name: string; email: string } | null;

/** A live session of an organisation: its user, and their role there now (null once they have left it). */
export type SessionStanding = { userId: string; role: Role | null; name: string; email: string };

/**
 * Where each of these sessions of `organisationId` stands, in one query. A session missing from
 * the answer was revoked (or belongs to another organisation); one with a null role outlived its
 * membership.
 */
export async function standingsOf(db: Db, organisationId: string, sessionIds: string[]): Promise<Map<string, SessionStanding>> {
  if (sessionIds.length === 0) return new Map();
  const rows = await withOrg(db, organisationId, (tx) =>
    tx
      .select({ sessionId: sessions.id, userId: sessions.userId, role: memberships.role, name: users.name, email: users.email })
      .from(sessions)
      .leftJoin(
        memberships,
        and(eq(memberships.organisationId, sessions.organisationId), eq(memberships.userId, sessions.userId)),
      )
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(and(eq(sessions.organisationId, organisationId), inArray(sessions.id, sessionIds), isNull(sessions.revokedAt))),
  );
  return new Map(rows.map(({ sessionId, ...standing }) => [sessionId, standing]));
}

type Entry = { orgId: string; userId: string; standing: Standing; expiresAt: number };

export type SessionGuardOptions = { ttlMs?: number; maxEntries?: number };

/**
 * Answers "is this session still alive, and with which role?" for every authenticated
 * request, without a database round trip in the common case.
 *
 * Entries are dropped the moment a revocation is heard: locally right after the committing
 * transaction, and from every other instance through the auth_changes NOTIFY channel. The
 * cache is only trusted while that channel is listening — a dropped LISTEN connection loses
 * notifications, so until it is back every request asks the database. A generation counter
 * keeps a lookup that raced a revocation from caching the stale answer, and the TTL bounds
 * any staleness left.
 */
export function createSessionGuard(db: Db, { ttlMs = 30_000, maxEntries = 50_000 }: SessionGuardOptions = {}) {
  const entries = new Map<string, Entry>();
  let generation = 0;
  let trusted = false;

  const lookup = async (claims: AccessClaims): Promise<Standing> => {
    const found = (await standingsOf(db, claims.orgId, [claims.sessionId])).get(claims.sessionId);
    if (!found?.role || found.userId !== claims.userId) return null;
    return { role: found.role, name: found.name, email: found.email };
  };

  const forgetWhere = (matches: (entry: Entry) => boolean) => {
    for (const [sessionId, entry] of entries) if (matches(entry)) entries.delete(sessionId);
  };

  return {
    async standing(claims: AccessClaims): Promise<Standing> {
      const cached = trusted ? entries.get(claims.sessionId) : undefined;
      if (cached && cached.expiresAt > Date.now()) return cached.standing;

      const seen = generation;
      const standing = await lookup(claims);
      if (trusted && seen === generation) {
        if (entries.size >= maxEntries) entries.delete(entries.keys().next().value as string);
        entries.set(claims.sessionId, {
          orgId: claims.orgId,
          userId: claims.userId,
          standing,
          expiresAt: Date.now() + ttlMs,
        });
      }
      return standing;
    },

    /** Forgets what `change` made stale. Called after commit and for every notification heard. */
    apply(change: AuthChange): void {
      generation++;
      if (change.kind === "session") entries.delete(change.sessionId);
      else forgetWhere((entry) => entry.orgId === change.orgId && entry.userId === change.userId);
    },

    /** The notification channel is listening (again): start from nothing and trust the cache. */
    trust(): void {
      generation++;
      entries.clear();
      trusted = true;
    },

    /** The notification channel is down: revocations may be missed, so ask the database. */
    distrust(): void {
      generation++;
      trusted = false;
      entries.clear();
    },
  };
}

export type SessionGuard = ReturnType<typeof createSessionGuard>;
