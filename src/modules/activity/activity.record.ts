import type { Db, Tx } from "../../db/client.ts";
import { CHANNELS } from "../../db/notifications.ts";
import { tellThisInstance, tellThisInstanceOnCommit } from "../../db/notify.ts";
import { queryRows } from "../../db/sql.ts";
import { runWrite } from "../../db/tenant-calls.ts";
import { defineWrite } from "../../db/tenant-reads.ts";
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
    const rows = await queryRows<RecordedRow>(tx, recordActivityWrite.inline(recordArgs(author, event)));
    if (rows[0]) tellThisInstanceOnCommit(tx, CHANNELS.activity, rows[0].notification);
    return recordedActivity(author, event, rows);
  });
}

/**
 * recordActivity for a change that is nothing but its activity (a broadcast): the same statement
 * as one self-scoping call that commits on its own (db/tenant-reads.ts). Its answer is its
 * commit, so the fan-out waits for one statement, not for BEGIN, the scope, the write and COMMIT.
 */
export function recordActivityInOwnTransaction(db: Db, author: ActivityAuthor, event: ActivityEvent): Promise<Activity> {
  return traced("recordActivity", { "activity.type": event.type }, async () => {
    const rows = await runWrite<RecordedRow>(db, recordActivityWrite, recordArgs(author, event));
    if (rows[0]) tellThisInstance(db, CHANNELS.activity, rows[0].notification);
    return recordedActivity(author, event, rows);
  });
}

/** record_activity's arguments, in order: $1 is the organisation. */
const recordArgs = (author: Author, event: ActivityEvent): unknown[] => [
  author.orgId,
  event.type,
  describeActivity(event, actorOf(author)),
  actorOf(author),
  event.target ?? null,
  event.payload,
  author.origin?.requestId ?? null,
  author.origin?.ip ?? null,
  author.origin?.userAgent ?? null,
  author.origin?.forwardedRequestId ?? null,
  activeTraceparent() ?? null,
];

/**
 * The statement behind every recorded activity. Its notification (db/notifications.ts) names
 * the organisation, the id and the commit time and, when it fits NOTIFY's limit, carries the
 * socket message itself, so a room that is up to date publishes it without reading the table.
 * The casts let it run as a plain statement too (recordActivity's, inside a transaction).
 */
export const recordActivityWrite = defineWrite({
  name: "record_activity",
  scope: "organisation",
  params: [
    "organisation uuid",
    "activity_type text",
    "message text",
    "actor jsonb",
    "target jsonb",
    "metadata jsonb",
    "request_id text",
    "ip text",
    "user_agent text",
    "forwarded_request_id text",
    "traceparent text",
  ],
  returns: ["id text", "created_at text", "notification text"],
  query: () => `
with counted as (
  update organisations set last_activity_id = last_activity_id + 1
  where id = $1::uuid
  returning id, last_activity_id
), inserted as (
  insert into activities (organisation_id, id, type, message, actor, target, metadata, request_id, ip, user_agent, forwarded_request_id)
  select id, last_activity_id, $2::text, $3::text, $4::jsonb, $5::jsonb, $6::jsonb, $7::text, $8::text, $9::text, $10::text
  from counted
  returning organisation_id, id, type, metadata, created_at
), announced as (
  select id, ${ISO_TIME} as created_at,
         json_build_object('o', organisation_id, 'i', id::text, 'a', ${ISO_TIME}, 't', $11::text, 'm', ${SOCKET_MESSAGE})::text
           as with_message,
         json_build_object('o', organisation_id, 'i', id::text, 'a', ${ISO_TIME}, 't', $11::text)::text as without_message
  from inserted
), chosen as (
  select id, created_at,
         case when octet_length(with_message) <= ${NOTIFY_MESSAGE_LIMIT} then with_message else without_message end as notification
  from announced
)
select chosen.id::text, chosen.created_at, chosen.notification
from chosen, lateral (select pg_notify('${CHANNELS.activity}', chosen.notification)) as sent`,
});

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
