import { and, desc, eq, lt, sql } from "drizzle-orm";
import type { Db, Tx } from "../../db/client.ts";
import { activities } from "../../db/schema/index.ts";
import { queryRows } from "../../db/sql.ts";
import { withOrg } from "../../db/tenant.ts";
import type { AuthContext } from "../../lib/app-env.ts";
import { cutPage, decodeCursor, encodeCursor } from "../../lib/cursor.ts";
import { BadRequestError } from "../../lib/errors.ts";
import { type ActivityEvent, describeActivity, parseActivityId, type UserSummary } from "./activity.events.ts";
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
 * The organisation row is locked (FOR NO KEY UPDATE) before the id is drawn: ids then commit
 * in order within an organisation, which is what lets a socket resume "after id N" without
 * ever skipping a row that committed late with a smaller id. Invites and plan changes take
 * the same lock anyway; everything else pays one row lock per change.
 */
export async function recordActivity(tx: Tx, author: ActivityAuthor, event: ActivityEvent): Promise<Activity> {
  const actor = summaryOf(author);
  const message = describeActivity(event, actor);
  const [row] = await queryRows<{ id: string; created_at: string | Date }>(
    tx,
    sql`
      with locked as (
        select id from organisations where id = ${author.orgId} for no key update
      ), inserted as (
        insert into activities (organisation_id, type, message, actor, target, metadata)
        select id, ${event.type}, ${message}, ${JSON.stringify(actor)}::jsonb,
               ${JSON.stringify(event.target ?? null)}::jsonb, ${JSON.stringify(event.payload)}::jsonb
        from locked
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

export const toActivity = (row: ActivityRow): Activity => ({
  id: row.id.toString(),
  type: row.type,
  message: row.message,
  actor: row.actor ?? null,
  target: row.target ?? null,
  metadata: row.metadata,
  createdAt: row.createdAt.toISOString(),
});

export function createActivityService({ db }: { db: Db }) {
  return {
    /** Newest first, keyset-paginated on (organisation_id, id): no OFFSET, no drift as rows arrive. */
    async list(auth: AuthContext, { limit, cursor, type }: ActivityQueryInput) {
      const [encoded] = cursor ? decodeCursor(cursor, 1) : [];
      const before = encoded === undefined ? undefined : parseActivityId(encoded);
      if (before === null) throw new BadRequestError("Invalid cursor");
      const rows = await withOrg(db, auth.orgId, (tx) =>
        tx
          .select()
          .from(activities)
          .where(
            and(
              eq(activities.organisationId, auth.orgId),
              type ? eq(activities.type, type) : undefined,
              before !== undefined ? lt(activities.id, before) : undefined,
            ),
          )
          .orderBy(desc(activities.id))
          .limit(limit + 1),
      );
      const { items, nextCursor } = cutPage(rows, limit, (last) => encodeCursor(last.id.toString()));
      return { activities: items.map(toActivity), nextCursor };
    },
  };
}
