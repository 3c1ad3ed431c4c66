import { createRouter } from "../../lib/router.ts";
import * as handlers from "./activity.handlers.ts";
import * as routes from "./activity.routes.ts";

export const activityRouter = createRouter().openapi(routes.listActivities, handlers.listActivities);
