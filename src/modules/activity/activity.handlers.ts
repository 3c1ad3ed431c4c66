import type { AppRouteHandler } from "../../app-env.ts";
import { okListJsonResponse } from "../../lib/response.ts";
import type * as routes from "./activity.routes.ts";

export const listActivities: AppRouteHandler<typeof routes.listActivities> = async (c) => {
  const page = await c.var.services.activities.page(c.var.auth, c.req.valid("query"));
  // The page is JSON text already (built by PostgreSQL): passed through, not parsed and re-serialised.
  return okListJsonResponse(c, "Activities", page.itemsJson, page.nextCursor);
};
