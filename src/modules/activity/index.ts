// What other modules and the realtime side may use of the activity module.
export { parseActivityId } from "./activity.events.ts";
export type { ActivityMessageRow } from "./activity.queries.ts";
export { type Activity, ActivitySchema } from "./activity.schemas.ts";
export {
  ACTIVITY_CHANNEL,
  type ActivityAuthor,
  type ActivityNotification,
  createActivityService,
  parseActivityNotification,
  recordActivity,
  recordActivityAlone,
  summaryOf,
} from "./activity.service.ts";
export { createRetention } from "./retention.ts";
