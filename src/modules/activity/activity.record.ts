import { sql } from "drizzle-orm";
import type { Db, Tx } from "../../db/client.ts";
import { CHANNELS } from "../../db/notifications.ts";
import { tellThisInstance, tellThisInstanceOnCommit } from "../../db/notify.ts";
import { queryRows } from "../../db/sql.ts";
import { statementInOrg } from "../../db/tenant.ts";
import type { ClientOrigin } from "../../lib/auth-context.ts";
import { activeTraceparent, traced } from "../../lib/spans.ts";
import type { UserSummary } from "../../lib/vocabulary.ts";
import { type ActivityEvent, describeActivity } from "./activity.events.ts";
import { ISO_TIME, SOCKET_MESSAGE } from "./activity.reads.ts";
import type { Activity } from "./activity.schemas.ts";

// The write side of the activity log: every module records what it changed through here.

/** Who did it, in which organisation, and from where. An AuthContext is one. */
export type ActivityAuthor = { orgId: string; userId: string; name: string; email: string; origin?: ClientOrigin };

/** A change nobody in the organisation made (billing's): recorded with no actor. */
export type SystemAuthor = { orgId: string; origin?: undefined };

type Author = ActivityAuthor | SystemAuthor;

const actorOf = (author: Author): UserSummary | null => ("userId" in author ? summaryOf(author) : null);

export const summaryOf = (author: Pick<ActivityAuthor, "userId" | "name" | "email">): UserSummary => ({
  id: author.userId,
  name: author.name,
  email: author.email,
});

// PostgreSQL refuses a NOTIFY payload of 8000 bytes or more; a longer message stays in the table.
const NOTIFY_MESSAGE_LIMIT = 7900;

type RecordedRow = { id: string; created_at: string; notification: string };

/**
 * Appends `event` to the organisation's log inside the caller's transaction, and queues the
 * NOTIFY that wakes the realtime rooms and forgets cached views on every instance (this one
 * at commit) — so the event exists, and is announced, if and only if the change it describes
 * commits.
 *
 * The id is the organisation's counter, bumped by an UPDATE of its row. That row lock is held
 * to the end of the transaction, so ids are drawn and committed one after another within an
 * organisation: 1, 2, 3… with no gap, and never a smaller id committing after a larger one.
 * That is what lets a socket resume "after id N" without skipping a row that committed late.
 * Invites and plan changes take the same lock anyway; everything else pays one row lock per
 * change.
 */
export function recordActivity(tx: Tx, author: Author, event: ActivityEvent): Promise<Activity> {
  return traced("recordActivity", { "activity.type": event.type }, async () => {
    const rows = await queryRows<RecordedRow>(tx, recordActivitySql(author, event));
    if (rows[0]) tellThisInstanceOnCommit(tx, CHANNELS.activity, rows[0].notification);
    return recordedActivity(author, event, rows);
  });
}

/**
 * recordActivity for a change that is nothing but its activity (a broadcast): the same single
 * statement, in a transaction of its own, in one round trip.
 */
export function recordActivityInOwnTransaction(db: Db, author: ActivityAuthor, event: ActivityEvent): Promise<Activity> {
  return traced("recordActivity", { "activity.type": event.type }, async () => {
    const rows = await statementInOrg<RecordedRow>(db, author.orgId, recordActivitySql(author, event), ([row]) => {
      if (row) tellThisInstance(db, CHANNELS.activity, row.notification);
    });
    return recordedActivity(author, event, rows);
  });
}

/**
 * The statement behind recordActivity. Its notification (db/notifications.ts) names the
 * organisation, the id and the commit time and, when it fits NOTIFY's limit, carries the
 * socket message itself, so a room that is up to date publishes it without reading the table.
 */
const isoTime = sql.raw(ISO_TIME);
const socketMessage = sql.raw(SOCKET_MESSAGE);

const recordActivitySql = (author: Author, event: ActivityEvent) => sql`
  with counted as (
    update organisations set last_activity_id = last_activity_id + 1
    where id = ${author.orgId}
    returning id, last_activity_id
  ), inserted as (
    insert into activities (organisation_id, id, type, message, actor, target, metadata, request_id, ip, user_agent, forwarded_request_id)
    select id, last_activity_id, ${event.type}, ${describeActivity(event, actorOf(author))}, ${actorOf(author)}::jsonb,
           ${event.target ?? null}::jsonb, ${event.payload}::jsonb,
           ${author.origin?.requestId ?? null}, ${author.origin?.ip ?? null}, ${author.origin?.userAgent ?? null},
           ${author.origin?.forwardedRequestId ?? null}
    from counted
    returning organisation_id, id, type, metadata, created_at
  ), announced as (
    select id, ${isoTime} as created_at,
           json_build_object('o', organisation_id, 'i', id::text, 'a', ${isoTime}, 't', ${activeTraceparent() ?? null}::text,
                             'm', ${socketMessage})::text as with_message,
           json_build_object('o', organisation_id, 'i', id::text, 'a', ${isoTime}, 't', ${activeTraceparent() ?? null}::text)::text
             as without_message
    from inserted
  ), chosen as (
    select id, created_at,
           case when octet_length(with_message) <= ${NOTIFY_MESSAGE_LIMIT} then with_message else without_message end as notification
    from announced
  )
  select id::text as id, created_at, notification, pg_notify(${CHANNELS.activity}, notification) from chosen`;

function recordedActivity(author: Author, event: ActivityEvent, [row]: RecordedRow[]): Activity {
  if (!row) throw new Error(`organisation ${author.orgId} not found while recording ${event.type}`);
  const actor = actorOf(author);
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
