import { defineRead } from "../../db/tenant-reads.ts";

// The activity log's hot reads, each one self-scoping statement (db/tenant-reads.ts), returning
// JSON text built by PostgreSQL: the API passes it through, with no row objects, no mapping and
// no second serialisation. Each reads along (organisation_id, id) or (organisation_id, type, id),
// so it reads only what it returns, whatever the organisation's size (tests/query-plans.test.ts).

/** An activity's creation time as JavaScript's toISOString() writes it. */
export const ISO_TIME = `to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** An activity as the message a socket receives: `{ type, payload, id, at }` (realtime/protocol.ts); also what a NOTIFY carries. */
export const SOCKET_MESSAGE = `json_build_object('type', type, 'payload', metadata, 'id', id::text, 'at', ${ISO_TIME})::text`;

/** One activity as the feed shows it (ActivitySchema); to ADMINs, and in an NDJSON export, with the request that caused it. */
const feedEntry = (withContext: boolean) => `json_build_object('id', id::text, 'type', type, 'message', message, 'actor', actor,
    'target', target, 'metadata', metadata, 'createdAt', ${ISO_TIME}${
      withContext
        ? `,
    'context', json_build_object('requestId', request_id, 'ip', ip, 'userAgent', user_agent, 'forwardedRequestId', forwarded_request_id)`
        : ""
    })`;

/** `oldest_at`: when the page's oldest activity was created (ms since epoch), the first a retention purge would take. */
export type FeedPageRow = { items: string; more: boolean; last_id: string | null; oldest_at: number | null };

/**
 * One page of the feed, newest first: the page as a JSON array, whether another page follows,
 * and the id the next page starts before. It reads `page_size + 1` rows; the extra one only says
 * whether there is more.
 */
export const feedPageRead = defineRead({
  name: "activity_feed_page",
  scope: "organisation",
  params: ["organisation uuid", "page_size integer", "before_id bigint", "activity_type text", "with_context boolean"],
  returns: ["items text", "more boolean", "last_id text", "oldest_at float8"],
  // A cursor is a variant of its own: a generic plan of `id < coalesce($3, …)` cannot bound the index scan with it.
  flags: { typed: "$4 is not null", resumed: "$3 is not null", withContext: "$5" },
  query: ({ typed, resumed, withContext }) => `
select coalesce(json_agg(${feedEntry(withContext)} order by id desc) filter (where n <= $2), '[]')::text,
       count(*) > $2,
       (min(id) filter (where n <= $2))::text,
       (extract(epoch from min(created_at) filter (where n <= $2)) * 1000)::float8
from (
  -- JSON is built in the aggregate above, for the rows that make the page, not here for all of them.
  select *, row_number() over (order by id desc) as n
  from activities
  where organisation_id = $1${typed ? " and type = $4" : ""}${resumed ? " and id < $3" : ""}
  order by id desc
  limit $2 + 1
) page`,
});

/** A socket message with its id and commit time (`at`), which the room hands on with it. */
export type ActivityMessageRow = { id: string; message: string; at: string };

/** Activities after `after_id`, oldest first, each as the message a socket receives: `{ type, payload, id, at }` (realtime/protocol.ts). */
export const messagesAfterRead = defineRead({
  name: "activity_messages_after",
  scope: "organisation",
  params: ["organisation uuid", "after_id bigint", "max_rows integer"],
  returns: ["id text", "message text", "at text"],
  query: () => `
select id::text, ${SOCKET_MESSAGE}, ${ISO_TIME}
from activities
where organisation_id = $1 and activities.id > $2
order by activities.id
limit $3`,
});

/** How many activities an export reads per statement. */
export const EXPORT_BATCH = 1000;

export type ExportRow = { id: string; line: string };

/** One batch of the export after `after_id`, oldest first; each row already as its NDJSON line or its CSV cells (as a JSON array). */
export const exportBatchRead = defineRead({
  name: "activity_export_batch",
  scope: "organisation",
  params: ["organisation uuid", "after_id bigint", "activity_type text", "from_time timestamptz", "to_time timestamptz", "as_csv boolean"],
  returns: ["id text", "line text"],
  flags: { typed: "$3 is not null", csv: "$6" },
  plans: "custom",
  query: ({ typed, csv }) => `
select id::text, ${
    csv
      ? `json_build_array(id::text, ${ISO_TIME}, type, message, actor->>'id', actor->>'name', actor->>'email', target->>'id',
         target->>'name', target->>'email', request_id, ip, user_agent, metadata::text, forwarded_request_id)::text`
      : `${feedEntry(true)}::text`
  }
from activities
where organisation_id = $1 and activities.id > $2${typed ? " and type = $3" : ""}
  and created_at >= coalesce($4, '-infinity') and created_at < coalesce($5, 'infinity')
order by activities.id
limit ${EXPORT_BATCH}`,
});
