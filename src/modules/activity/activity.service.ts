import { sql } from "drizzle-orm";
import type { Db, Tx } from "../../db/client.ts";
import { queryRows } from "../../db/sql.ts";
import { statementInOrg } from "../../db/tenant.ts";
import type { AuthContext, ClientOrigin } from "../../lib/auth-context.ts";
import { decodeCursor, encodeCursor } from "../../lib/cursor.ts";
import { BadRequestError } from "../../lib/errors.ts";
import { activeTraceparent, traced } from "../../lib/tracing.ts";
import type { UserSummary } from "../../lib/vocabulary.ts";
import { type ActivityEvent, describeActivity, parseActivityId } from "./activity.events.ts";
import { type ActivityMessageRow, activityMessagesAfter, type FeedPageRow, feedPage, socketMessage } from "./activity.queries.ts";
import { exportStream } from "./activity.export.ts";
import type { Activity, ActivityQueryInput, ExportQueryInput } from "./activity.schemas.ts";

/** The channel that wakes every instance when an organisation's activity log grows. */
export const ACTIVITY_CHANNEL = "activity";

/**
 * What an ACTIVITY_CHANNEL notification says: whose log grew, to which id, the socket message
 * when it fitted, and the trace of the request that committed it (when tracing is on).
 */
export type ActivityNotification = { orgId: string; id: bigint; message?: string; traceparent?: string };

// PostgreSQL refuses a NOTIFY payload of 8000 bytes or more; a longer message stays in the table.
const NOTIFY_MESSAGE_LIMIT = 7900;

export function parseActivityNotification(payload: string): ActivityNotification | null {
  try {
    const { o, i, m, t } = JSON.parse(payload) as { o?: unknown; i?: unknown; m?: unknown; t?: unknown };
    if (typeof o !== "string" || typeof i !== "string" || !/^\d+$/.test(i)) return null;
    return { orgId: o, id: BigInt(i), ...(typeof m === "string" ? { message: m } : {}), ...(typeof t === "string" ? { traceparent: t } : {}) };
  } catch {
    return null;
  }
}

/** Who did it, in which organisation, and from where. An AuthContext is one. */
export type ActivityAuthor = { orgId: string; userId: string; name: string; email: string; origin?: ClientOrigin };

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
export function recordActivity(tx: Tx, author: ActivityAuthor, event: ActivityEvent): Promise<Activity> {
  return traced("recordActivity", { "activity.type": event.type }, async () =>
    recordedActivity(author, event, await queryRows<RecordedRow>(tx, recordActivitySql(author, event))),
  );
}

/**
 * recordActivity for a change that is nothing but its activity (a broadcast): the same single
 * statement, run on its own in the organisation in one round trip.
 */
export function recordActivityAlone(db: Db, author: ActivityAuthor, event: ActivityEvent): Promise<Activity> {
  return traced("recordActivity", { "activity.type": event.type }, async () =>
    recordedActivity(author, event, await statementInOrg<RecordedRow>(db, author.orgId, recordActivitySql(author, event))),
  );
}

type RecordedRow = { id: string; created_at: string };

/**
 * The statement behind recordActivity. Its notification names the organisation and the id and,
 * when it fits NOTIFY's limit, carries the socket message itself, so a room that is up to date
 * publishes it without reading the table (realtime/room.ts).
 */
const recordActivitySql = (author: ActivityAuthor, event: ActivityEvent) => sql`
  with counted as (
    update organisations set last_activity_id = last_activity_id + 1
    where id = ${author.orgId}
    returning id, last_activity_id
  ), inserted as (
    insert into activities (organisation_id, id, type, message, actor, target, metadata, request_id, ip, user_agent)
    select id, last_activity_id, ${event.type}, ${describeActivity(event, summaryOf(author))}, ${summaryOf(author)}::jsonb,
           ${event.target ?? null}::jsonb, ${event.payload}::jsonb,
           ${author.origin?.requestId ?? null}, ${author.origin?.ip ?? null}, ${author.origin?.userAgent ?? null}
    from counted
    returning organisation_id, id, type, metadata, created_at
  ), announced as (
    select id, created_at,
           json_build_object('o', organisation_id, 'i', id::text, 't', ${activeTraceparent() ?? null}::text, 'm', ${socketMessage})::text as with_message,
           json_build_object('o', organisation_id, 'i', id::text, 't', ${activeTraceparent() ?? null}::text)::text as without_message
    from inserted
  )
  select id::text as id, to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as created_at,
         pg_notify(${ACTIVITY_CHANNEL}, case when octet_length(with_message) <= ${NOTIFY_MESSAGE_LIMIT} then with_message else without_message end)
  from announced`;

function recordedActivity(author: ActivityAuthor, event: ActivityEvent, [row]: RecordedRow[]): Activity {
  if (!row) throw new Error(`organisation ${author.orgId} not found while recording ${event.type}`);
  const actor = summaryOf(author);
  return {
    id: row.id,
    type: event.type,
    message: describeActivity(event, actor),
    actor,
    target: event.target ?? null,
    metadata: event.payload,
    createdAt: row.created_at,
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
      // Where an activity came from is for ADMINs: a member's feed shows what happened.
      const withContext = auth.role === "ADMIN";
      const [row] = await statementInOrg<FeedPageRow>(db, auth.orgId, feedPage(auth.orgId, { limit, before, type, withContext }));
      return { itemsJson: row?.items ?? "[]", nextCursor: row?.more && row.last_id ? encodeCursor(row.last_id) : null };
    },

    /** The whole log of the caller's organisation, streamed (ADMIN: the route says so). */
    export: (auth: AuthContext, query: ExportQueryInput): ReadableStream<string> => exportStream(db, auth.orgId, query),

    /** The id of the organisation's newest activity (0 before the first): where a new socket starts. */
    async latestId(organisationId: string): Promise<bigint> {
      const [row] = await statementInOrg<{ id: string }>(
        db,
        organisationId,
        sql`select last_activity_id::text as id from organisations where id = ${organisationId}`,
      );
      return BigInt(row?.id ?? 0);
    },

    /** Up to `limit` activities with ids after `afterId`, oldest first, as socket messages: what the realtime rooms publish and replay. */
    messagesAfter: (organisationId: string, afterId: bigint, limit: number): Promise<ActivityMessageRow[]> =>
      statementInOrg<ActivityMessageRow>(db, organisationId, activityMessagesAfter(organisationId, afterId, limit)),
  };
}
