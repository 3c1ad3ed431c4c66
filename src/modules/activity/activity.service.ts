import { sql } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { readInOrg } from "../../db/tenant.ts";
import { runRead } from "../../db/tenant-calls.ts";
import { parseActivityId } from "../../lib/activity-id.ts";
import type { AuthContext } from "../../lib/auth-context.ts";
import { chunkedStream } from "../../lib/chunked-stream.ts";
import { decodeCursor, encodeCursor } from "../../lib/cursor.ts";
import { BadRequestError, describeError } from "../../lib/errors.ts";
import type { Logger } from "../../lib/logger.ts";
import { exportChunks } from "./activity.export.ts";
import { type ActivityMessageRow, type FeedPageRow, feedPageRead, messagesAfterRead } from "./activity.reads.ts";
import type { ActivityQueryInput, ExportQueryInput } from "./activity.schemas.ts";
import type { FeedCache, FeedPage } from "./feed-cache.ts";

// The read side of the activity log: the feed, the export, and what the realtime rooms read.

/** `feedCache`: first pages kept per instance (the API has one; a benchmark of the read itself leaves it out). */
export function createActivityService({ db, logger, feedCache }: { db: Db; logger: Logger; feedCache?: FeedCache }) {
  return {
    /**
     * A page of the feed, newest first, keyset-paginated on (organisation_id, id): no OFFSET,
     * no drift as rows arrive. The page comes back as the JSON text PostgreSQL built.
     */
    async page(auth: AuthContext, { limit, cursor, type }: ActivityQueryInput): Promise<FeedPage> {
      const [encoded] = cursor ? decodeCursor(cursor, 1) : [];
      const before = encoded === undefined ? undefined : parseActivityId(encoded);
      if (before === null) throw new BadRequestError("Invalid cursor");
      // Where an activity came from is for ADMINs: a member's feed shows what happened.
      const withContext = auth.role === "ADMIN";
      const read = async () => {
        const [row] = await runRead<FeedPageRow>(db, feedPageRead, [
          auth.orgId,
          limit,
          before?.toString() ?? null,
          type ?? null,
          withContext,
        ]);
        return {
          itemsJson: row?.items ?? "[]",
          nextCursor: row?.more && row.last_id ? encodeCursor(row.last_id) : null,
          oldestAt: row?.oldest_at ?? null,
        };
      };
      if (before !== undefined || !feedCache) return read();
      return feedCache.firstPage(auth.orgId, `${limit}|${type ?? ""}|${withContext ? "context" : ""}`, read);
    },

    /** The whole log of the caller's organisation, streamed (ADMIN: the route says so). */
    export: (auth: AuthContext, query: ExportQueryInput): Promise<ReadableStream<string>> =>
      chunkedStream(exportChunks(db, auth.orgId, query), (error) =>
        logger.error("activity export failed mid-stream; the response was cut off", {
          requestId: auth.origin?.requestId,
          error: describeError(error),
        }),
      ),

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
      runRead<ActivityMessageRow>(db, messagesAfterRead, [organisationId, afterId.toString(), limit]),
  };
}
