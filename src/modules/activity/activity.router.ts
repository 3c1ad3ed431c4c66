import type { AppEnv } from "../../app-env.ts";
import { createRouter } from "../../lib/router.ts";
import * as handlers from "./activity.handlers.ts";
import * as routes from "./activity.routes.ts";

// The export's static path first: /api/activities/export is not a feed query.
export const activityRouter = createRouter<AppEnv>()
  .openapi(routes.exportActivities, handlers.exportActivities)
  .openapi(routes.listActivities, handlers.listActivities);
