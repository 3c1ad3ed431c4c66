import type { AppRouteHandler } from "../../app-env.ts";
import { okList } from "../../lib/response.ts";
import type * as routes from "./activity.routes.ts";

export const listActivities: AppRouteHandler<typeof routes.listActivities> = async (c) => {
  const page = await c.var.services.activities.list(c.var.auth, c.req.valid("query"));
  return c.json(okList("Activities", page.activities, page.nextCursor), 200);
};
