import type { AppEnv } from "../../app-env.ts";
import { createRouter } from "../../lib/router.ts";
import * as handlers from "./activity.handlers.ts";
import * as routes from "./activity.routes.ts";

export const activityRouter = createRouter<AppEnv>().openapi(routes.listActivities, handlers.listActivities);
