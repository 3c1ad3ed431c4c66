import { type SQL, sql } from "drizzle-orm";
import type { Db, Tx } from "../../db/client.ts";
import { queryRows } from "../../db/sql.ts";
import { readInOrg } from "../../db/tenant.ts";
import { NotFoundError } from "../../lib/errors.ts";
import { createNotifiedCache } from "../../lib/notified-cache.ts";
import type { PlanName } from "../../lib/vocabulary.ts";
import type { Organisation } from "./organisations.schemas.ts";
import { memberLimitOf } from "./plans.ts";
import { seatCounts } from "./seats.ts";

type ViewRow = {
  id: string;
  name: string;
  slug: string;
  subscription_plan: PlanName;
  created_at: string;
  member_count: number;
  pending_invites: number;
  /** When the soonest pending invite lapses (ms since epoch): the pending count drops then, with no event. */
  next_expiry: number | null;
};

/** The organisation with its seat counts, in one query. */
const viewQuery = (organisationId: string): SQL => {
  const seats = seatCounts(organisationId);
  return sql`
    select o.id, o.name, o.slug, o.subscription_plan,
           to_char(o.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as created_at,
           ${seats.members} as member_count, ${seats.pendingInvites} as pending_invites,
           (select extract(epoch from min(expires_at)) * 1000 from invites
             where organisation_id = o.id and status = 'PENDING' and expires_at > now())::float8 as next_expiry
    from organisations o where o.id = ${organisationId}`;
};

type CachedView = { view: Organisation; nextExpiry: number | null };

const toView = (row: ViewRow | undefined): CachedView => {
  if (!row) throw new NotFoundError("Organisation not found");
  return {
    view: {
      id: row.id,
      name: row.name,
      slug: row.slug,
      subscriptionPlan: row.subscription_plan,
      memberCount: row.member_count,
      memberLimit: memberLimitOf(row.subscription_plan),
      pendingInvites: row.pending_invites,
      createdAt: row.created_at,
    },
    nextExpiry: row.next_expiry,
  };
};

/**
 * GET /api/organisations without the database: each instance keeps each organisation's view
 * in a notified cache (lib/notified-cache.ts). Everything that changes a view — plan, members,
 * invites, name — writes an activity, and every activity's notification forgets the
 * organisation's view (on the instance that wrote it, at its commit). An invite lapsing changes
 * the pending count with no event, so a view also dies when its soonest pending invite expires.
 */
export function createOrganisationCache(db: Db, { ttlMs = 30_000, maxEntries = 10_000 } = {}) {
  const cache = createNotifiedCache<CachedView>({ ttlMs, maxEntries });
  return {
    async get(organisationId: string): Promise<Organisation> {
      const cached = await cache.get(
        organisationId,
        async () => toView((await readInOrg<ViewRow>(db, organisationId, viewQuery(organisationId)))[0]),
        (value) => value.nextExpiry ?? undefined,
      );
      return cached.view;
    },

    /** The view as `tx` sees it, after a change it is making (never cached: it has not committed). */
    async inTransaction(tx: Tx, organisationId: string): Promise<Organisation> {
      return toView((await queryRows<ViewRow>(tx, viewQuery(organisationId)))[0]).view;
    },

    /** The organisation changed: its next read goes to the database. */
    forget: (organisationId: string) => cache.forget(organisationId),
    trust: cache.trust,
    distrust: cache.distrust,
  };
}

export type OrganisationCache = ReturnType<typeof createOrganisationCache>;
