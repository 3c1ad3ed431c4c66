import { createRoute } from "@hono/zod-openapi";
import { signedIn } from "../../middleware/auth.ts";
import { errorResponses, jsonContent, listEnvelopeOf } from "../../lib/response.ts";
import { ActivityQuery, ActivitySchema } from "./activity.schemas.ts";

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
