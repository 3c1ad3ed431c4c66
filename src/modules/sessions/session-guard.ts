import { sql } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import type { AuthChange } from "../../db/notifications.ts";
import { queryRows } from "../../db/sql.ts";
import { readInOrg, withSystem } from "../../db/tenant.ts";
import type { AccessClaims } from "../../lib/jwt.ts";
import { createNotifiedCache } from "../../lib/notified-cache.ts";
import type { Role } from "../../lib/vocabulary.ts";

/**
 * Who holds a live session, as they are now: what a request acts as. `role` is null for a
 * session in no organisation. `secondFactorMissing`: the organisation requires a second factor
 * and they have none, so the session may only set one up.
 */
export type SessionHolder = {
  role: Role | null;
  name: string;
  email: string;
  secondFactorMissing: boolean;
  /** The organisation is suspended by the operators (tenant routes answer 403 ORGANISATION_SUSPENDED). */
  suspended: boolean;
  /** The account is disabled by the operators (every route answers 403 ACCOUNT_DISABLED). */
  disabled: boolean;
};

/**
 * A session of an organisation as the database has it: whether it was revoked, and its user's
 * role there now (null once they have left; then their name and email are no longer the
 * tenant's to see).
 */
export type SessionState = {
  userId: string;
  revoked: boolean;
  role: Role | null;
  name: string | null;
  email: string | null;
  secondFactorMissing: boolean;
  suspended: boolean;
  disabled: boolean;
};

/**
 * The state of each of these sessions of `organisationId`, in one query. A session missing from
 * the answer is not one of the organisation's.
 */
export async function sessionStatesOf(db: Db, organisationId: string, sessionIds: string[]): Promise<Map<string, SessionState>> {
  if (sessionIds.length === 0) return new Map();
  const rows = await readInOrg<
    Omit<SessionState, "userId" | "secondFactorMissing"> & { session_id: string; user_id: string; missing: boolean }
  >(
    db,
    organisationId,
    sql`select s.id as session_id, s.user_id, s.revoked_at is not null as revoked, m.role, u.name, u.email,
               coalesce(o.require_two_factor and not u.has_second_factor, false) as missing,
               o.suspended_at is not null as suspended, u.disabled_at is not null as disabled
        from sessions s
        left join memberships m on m.organisation_id = s.organisation_id and m.user_id = s.user_id
        left join users u on u.id = s.user_id
        left join organisations o on o.id = s.organisation_id
        where s.organisation_id = ${organisationId}
          and s.id in (${sql.join(
            sessionIds.map((id) => sql`${id}::uuid`),
            sql`, `,
          )})`,
  );
  return new Map(
    rows.map(({ session_id, user_id, missing, ...state }) => [session_id, { userId: user_id, secondFactorMissing: missing, ...state }]),
  );
}

type Entry = { orgId: string | null; userId: string; holder: SessionHolder | null };

/** A live session of an account in no organisation: only the system sees it (no tenant does). */
async function accountSessionHolder(db: Db, sessionId: string, userId: string): Promise<SessionHolder | null> {
  const [row] = await withSystem(db, (tx) =>
    queryRows<{ name: string; email: string; disabled: boolean }>(
      tx,
      sql`select u.name, u.email, u.disabled_at is not null as disabled from sessions s join users u on u.id = s.user_id
          where s.id = ${sessionId} and s.user_id = ${userId} and s.organisation_id is null and s.revoked_at is null`,
    ),
  );
  return row ? { role: null, secondFactorMissing: false, suspended: false, ...row } : null;
}

/** Which cached sessions a change of many makes stale. */
const stales = (change: Exclude<AuthChange, { kind: "session" }>) => (entry: Entry) => {
  switch (change.kind) {
    case "member":
      return entry.orgId === change.orgId && entry.userId === change.userId;
    case "user":
      return entry.userId === change.userId;
    case "organisation":
      return entry.orgId === change.orgId;
    case "requirements":
      return entry.userId === change.userId || (change.orgId !== undefined && entry.orgId === change.orgId);
  }
};

export type SessionGuardOptions = { ttlMs?: number; maxEntries?: number };

/**
 * Answers "is this session still alive, and with which role?" for every authenticated
 * request, without a database round trip in the common case: a notified cache (see
 * lib/notified-cache.ts), whose entries die the moment a revocation is heard — on this
 * instance when the revoking transaction commits, and on every instance through the
 * auth_changes channel — and which is bypassed while that channel is down.
 */
export function createSessionGuard(db: Db, { ttlMs = 30_000, maxEntries = 50_000 }: SessionGuardOptions = {}) {
  const cache = createNotifiedCache<Entry>({ ttlMs, maxEntries });

  const lookup = async (claims: AccessClaims): Promise<Entry> => {
    const { userId, orgId, sessionId } = claims;
    if (orgId === null) return { orgId, userId, holder: await accountSessionHolder(db, sessionId, userId) };
    const found = (await sessionStatesOf(db, orgId, [sessionId])).get(sessionId);
    const live = found && !found.revoked && found.role && found.name !== null && found.email !== null && found.userId === userId;
    const holder = live
      ? {
          role: found.role as Role,
          name: found.name as string,
          email: found.email as string,
          secondFactorMissing: found.secondFactorMissing,
          suspended: found.suspended,
          disabled: found.disabled,
        }
      : null;
    return { orgId, userId, holder };
  };

  return {
    /** Who holds a live session now, or null when it was revoked or (for a member's session) their membership ended. */
    async holderOf(claims: AccessClaims): Promise<SessionHolder | null> {
      return (await cache.get(claims.sessionId, () => lookup(claims))).holder;
    },

    /** Forgets what `change` made stale: for every auth_changes notification, this instance's own included. */
    apply(change: AuthChange): void {
      if (change.kind === "session") cache.forget(change.sessionId);
      else cache.forgetWhere(stales(change));
    },

    /** The notification channel is listening (again): start from nothing and trust the cache. */
    trust: cache.trust,

    /** The notification channel is down: revocations may be missed, so ask the database. */
    distrust: cache.distrust,
  };
}

export type SessionGuard = ReturnType<typeof createSessionGuard>;
