import { sql } from "drizzle-orm";
import type { Db, Tx } from "../../db/client.ts";
import { queryRows } from "../../db/sql.ts";
import { readInOrg } from "../../db/tenant.ts";
import type { AuthContext } from "../../lib/auth-context.ts";
import { decodeCursor, encodeCursor } from "../../lib/cursor.ts";
import { BadRequestError } from "../../lib/errors.ts";
import type { UserSummary } from "../../lib/vocabulary.ts";
import { type ActivityEvent, describeActivity, parseActivityId } from "./activity.events.ts";
import { type ActivityMessageRow, activityMessagesAfter, type FeedPageRow, feedPage } from "./activity.queries.ts";
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

export function createActivityService({ db }: { db: Db }) {
  return {
    /**
     * A page of the feed, newest first, keyset-paginated on (organisation_id, id): no OFFSET,
     * no drift as rows arrive. The page comes back as the JSON text PostgreSQL built.
     */
    async page(auth: AuthContext, { limit, cursor, type }: ActivityQueryInput): Promise<{ itemsJson: string; nextCursor: string | null }> {
      const [encoded] = cursor ? decodeCursor(cursor, 1) : [];
      const before = encoded === undefined ? undefined : parseActivityId(encoded);
      if (before === null) throw new BadRequestError("Invalid cursor");
      const [row] = await readInOrg<FeedPageRow>(db, auth.orgId, feedPage(auth.orgId, { limit, before, type }));
      return { itemsJson: row?.items ?? "[]", nextCursor: row?.more && row.last_id ? encodeCursor(row.last_id) : null };
    },

    /** The id of the organisation's newest activity (0 before the first): where a new socket starts. */
    async latestId(organisationId: string): Promise<bigint> {
      const [row] = await readInOrg<{ id: string }>(
        db,
        organisationId,
        sql`select last_activity_id::text as id from organisations where id = ${organisationId}`,
      );
      return BigInt(row?.id ?? 0);
    },

    /** Up to `limit` activities with ids after `afterId`, oldest first, as socket messages: what the realtime rooms publish and replay. */
    messagesAfter: (organisationId: string, afterId: bigint, limit: number): Promise<ActivityMessageRow[]> =>
      readInOrg<ActivityMessageRow>(db, organisationId, activityMessagesAfter(organisationId, afterId, limit)),
  };
}
