import { type SQL, sql } from "drizzle-orm";
import type { ActivityType } from "../../lib/vocabulary.ts";

// The activity log's hot reads, written as SQL that returns JSON text. PostgreSQL builds each
// page or message once, and the API passes the text through: no row objects, no mapping, no
// second serialisation. Each is keyed on (organisation_id, id) or (organisation_id, type, id),
// so it reads only what it returns, whatever the organisation's size (tests/query-plans.test.ts).

/** An activity's creation time as JavaScript's toISOString() writes it. */
export const isoTime = sql`to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** One activity as the feed shows it (ActivitySchema); to ADMINs, with the request that caused it. */
const feedEntry = (withContext: boolean) => sql`json_build_object('id', id::text, 'type', type, 'message', message, 'actor', actor,
  'target', target, 'metadata', metadata, 'createdAt', ${isoTime}
  ${
    withContext
      ? sql`, 'context', json_build_object('requestId', request_id, 'ip', ip, 'userAgent', user_agent,
    'forwardedRequestId', forwarded_request_id)`
      : sql``
  })`;

export type FeedPageQuery = { limit: number; before?: bigint; type?: ActivityType; withContext?: boolean };
export type FeedPageRow = { items: string; more: boolean; last_id: string | null };

/**
 * One page of the feed, newest first: the page as a JSON array, whether another page follows,
 * and the id the next page starts before. It reads `limit + 1` rows; the extra one only says
 * whether there is more.
 */
export const feedPage = (organisationId: string, { limit, before, type, withContext = false }: FeedPageQuery): SQL => sql`
  select coalesce(json_agg(${feedEntry(withContext)} order by id desc) filter (where n <= ${limit}), '[]')::text as items,
         count(*) > ${limit} as more,
         (min(id) filter (where n <= ${limit}))::text as last_id
  from (
    -- JSON is built in the aggregate above, for the rows that make the page, not here for all of them.
    select *, row_number() over (order by id desc) as n
    from activities
    where organisation_id = ${organisationId}
      ${type ? sql`and type = ${type}` : sql``}
      ${before !== undefined ? sql`and id < ${before.toString()}::bigint` : sql``}
    order by id desc
    limit ${limit + 1}
  ) page`;

/** An activity as the message a socket receives: `{ type, payload, id, at }` (realtime/events.ts). */
export const socketMessage = sql`json_build_object('type', type, 'payload', metadata, 'id', id::text, 'at', ${isoTime})::text`;

/** A socket message with its id and commit time (`at`), which the room hands on with it. */
export type ActivityMessageRow = { id: string; message: string; at: string };

/**
 * Activities after `afterId`, oldest first, each as the message a socket receives
 * (`{ type, payload, id, at }`, see realtime/events.ts).
 */
export const activityMessagesAfter = (organisationId: string, afterId: bigint, limit: number): SQL => sql`
  select id::text as id, ${socketMessage} as message, ${isoTime} as at
  from activities
  where organisation_id = ${organisationId} and activities.id > ${afterId.toString()}::bigint
  order by activities.id -- the column, not the text alias of the same name
  limit ${limit}`;
