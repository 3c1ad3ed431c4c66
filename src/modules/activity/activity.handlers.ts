import type { AppRouteHandler } from "../../app-env.ts";
import { okListJsonResponse } from "../../lib/response.ts";
import type * as routes from "./activity.routes.ts";

export const listActivities: AppRouteHandler<typeof routes.listActivities> = async (c) => {
  const page = await c.get("services").activities.page(c.get("auth"), c.req.valid("query"));
  // The page is JSON text already (built by PostgreSQL): passed through, not parsed and re-serialised.
  return okListJsonResponse(c, "Activities", page.itemsJson, page.nextCursor);
};

export const exportActivities: AppRouteHandler<typeof routes.exportActivities> = async (c) => {
  const query = c.req.valid("query");
  const stream = await c.get("services").activities.export(c.get("auth"), query);
  const extension = query.format === "csv" ? "csv" : "ndjson";
  // A stream, not JSON: the route's schema documents the two content types it may be.
  return c.body(stream, 200, {
    "content-type": query.format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson",
    "content-disposition": `attachment; filename="activities-${new Date().toISOString().slice(0, 10)}.${extension}"`,
  }) as never;
};
