import { and, asc, desc, eq, gt, lt, sql } from "drizzle-orm";
import type { Db, Tx } from "../../db/client.ts";
import { activities, organisations } from "../../db/schema/index.ts";
import { queryRows } from "../../db/sql.ts";
import { withOrg } from "../../db/tenant.ts";
import type { AuthContext } from "../../lib/auth-context.ts";
import { cutPage, decodeCursor, encodeCursor } from "../../lib/cursor.ts";
import { BadRequestError } from "../../lib/errors.ts";
import type { ActivityType, UserSummary } from "../../lib/vocabulary.ts";
import { type ActivityEvent, describeActivity, parseActivityId } from "./activity.events.ts";
import type { Activity, ActivityQueryInput } from "./activity.schemas.ts";

/** The channel that wakes every instance when an organisation's activity log grows. */
export const ACTIVITY_CHANNEL = "activity";

/** The organisation named by an ACTIVITY_CHANNEL payload, or null for anything else. */
export function parseActivityNotification(payload: string): string | null {
  try {
    const { o } = JSON.parse(payload) as { o?: unknown };
    return typeof o === "string" ? o : null;
  } catch {
    return null;
  }
}

/** Who did it, in which organisation. An AuthContext is one. */
export type ActivityAuthor = { orgId: string; userId: string; name: string; email: string };

export const summaryOf = (author: Pick<ActivityAuthor, "userId" | "name" | "email">): UserSummary => ({
  id: author.userId,
  name: author.name,
  email: author.email,
});

/**
 * Appends `event` to the organisation's log inside the caller's transaction, and queues the
 * NOTIFY that wakes the realtime hubs — so the event exists, and is announced, if and only if
 * the change it describes commits.
 *
 * The id is the organisation's counter, bumped by an UPDATE of its row. That row lock is held
 * to the end of the transaction, so ids are drawn and committed one after another within an
 * organisation: 1, 2, 3… with no gap, and never a smaller id committing after a larger one.
 * That is what lets a socket resume "after id N" without skipping a row that committed late.
 * Invites and plan changes take the same lock anyway; everything else pays one row lock per
 * change.
 */
export async function recordActivity(tx: Tx, author: ActivityAuthor, event: ActivityEvent): Promise<Activity> {
  const actor = summaryOf(author);
  const message = describeActivity(event, actor);
  const [row] = await queryRows<{ id: string; created_at: string | Date }>(
    tx,
    sql`
      with counted as (
        update organisations set last_activity_id = last_activity_id + 1
        where id = ${author.orgId}
        returning id, last_activity_id
      ), inserted as (
        insert into activities (organisation_id, id, type, message, actor, target, metadata)
        select id, last_activity_id, ${event.type}, ${message}, ${actor}::jsonb,
               ${event.target ?? null}::jsonb, ${event.payload}::jsonb
        from counted
        returning id, organisation_id, created_at
      )
      select id::text as id, created_at,
             pg_notify(${ACTIVITY_CHANNEL}, json_build_object('o', organisation_id, 'i', id::text)::text)
      from inserted`,
  );
  if (!row) throw new Error(`organisation ${author.orgId} not found while recording ${event.type}`);
  return {
    id: row.id,
    type: event.type,
    message,
    actor,
    target: event.target ?? null,
    metadata: event.payload,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

type ActivityRow = typeof activities.$inferSelect;

const toActivity = (row: ActivityRow): Activity => ({
  id: row.id.toString(),
  type: row.type,
  message: row.message,
  actor: row.actor ?? null,
  target: row.target ?? null,
  metadata: row.metadata,
  createdAt: row.createdAt.toISOString(),
});

export type FeedPageQuery = { limit: number; before?: bigint; type?: ActivityType };

/**
 * One page of the feed, newest first, plus one row that tells whether another page exists. The
 * query is keyed on (organisation_id, id) — or (organisation_id, type, id) — so it reads the
 * page from the index, whatever the organisation's size (tests/query-plans.test.ts).
 */
export const feedPageQuery = (executor: Db | Tx, organisationId: string, { limit, before, type }: FeedPageQuery) =>
  executor
    .select()
    .from(activities)
    .where(
      and(
        eq(activities.organisationId, organisationId),
        type ? eq(activities.type, type) : undefined,
        before !== undefined ? lt(activities.id, before) : undefined,
      ),
    )
    .orderBy(desc(activities.id))
    .limit(limit + 1);

export function createActivityService({ db }: { db: Db }) {
  return {
    /** Newest first, keyset-paginated on (organisation_id, id): no OFFSET, no drift as rows arrive. */
    async list(auth: AuthContext, { limit, cursor, type }: ActivityQueryInput) {
      const [encoded] = cursor ? decodeCursor(cursor, 1) : [];
      const before = encoded === undefined ? undefined : parseActivityId(encoded);
      if (before === null) throw new BadRequestError("Invalid cursor");
      const rows = await withOrg(db, auth.orgId, (tx) => feedPageQuery(tx, auth.orgId, { limit, before, type }));
      const { items, nextCursor } = cutPage(rows, limit, (last) => encodeCursor(last.id.toString()));
      return { activities: items.map(toActivity), nextCursor };
    },

    /** The id of the organisation's newest activity (0 before the first): where a new socket starts. */
    async latestId(organisationId: string): Promise<bigint> {
      const [row] = await withOrg(db, organisationId, (tx) =>
        tx.select({ id: organisations.lastActivityId }).from(organisations).where(eq(organisations.id, organisationId)),
      );
      return row?.id ?? 0n;
    },

    /** Up to `limit` activities with ids after `afterId`, oldest first: what the realtime rooms publish and replay. */
    after: (organisationId: string, afterId: bigint, limit: number): Promise<Activity[]> =>
      withOrg(db, organisationId, (tx) =>
        tx
          .select()
          .from(activities)
          .where(and(eq(activities.organisationId, organisationId), gt(activities.id, afterId)))
          .orderBy(asc(activities.id))
          .limit(limit),
      ).then((rows) => rows.map(toActivity)),
  };
}
