import { createRoute, z } from "@hono/zod-openapi";
import { errorResponses, jsonContent, listEnvelopeOf } from "../../lib/response.ts";
import { signedIn } from "../../middleware/auth.ts";
import { ActivityQuery, ActivitySchema, ExportQuery } from "./activity.schemas.ts";

export const listActivities = createRoute({
  method: "get",
  path: "/api/activities",
  operationId: "listActivities",
  tags: ["Activity"],
  summary: "The organisation's activity feed, newest first",
  description: "Keyset-paginated: pass `meta.nextCursor` back as `cursor`. Stable while new activities arrive.",
  ...signedIn(),
  request: { query: ActivityQuery },
  responses: {
    200: jsonContent(listEnvelopeOf(ActivitySchema), "A page of activities"),
    ...errorResponses(401),
  },
});

export const exportActivities = createRoute({
  method: "get",
  path: "/api/activities/export",
  operationId: "exportActivities",
  tags: ["Activity"],
  summary: "The organisation's whole audit log, streamed in id order (ADMIN)",
  description: [
    "NDJSON (one activity per line, with its request context) or CSV (cells that a spreadsheet would run as a formula — starting with",
    "=, +, -, @, tab or carriage return — are prefixed with '). Streamed in batches, in constant memory, however long the log.",
  ].join(" "),
  ...signedIn("ADMIN"),
  request: { query: ExportQuery },
  responses: {
    200: {
      description: "The log, as a download",
      content: { "application/x-ndjson": { schema: z.string() }, "text/csv": { schema: z.string() } },
    },
    ...errorResponses(401, 403),
  },
});
