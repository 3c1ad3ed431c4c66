// What other modules and the composition root may use of the activity module.
export { ACTIVITY_PAYLOADS } from "./activity.payloads.ts";
export type { ActivityMessageRow } from "./activity.reads.ts";
export { EXPORT_BATCH, exportBatchRead, feedPageRead, messagesAfterRead } from "./activity.reads.ts";
export {
  type ActivityAuthor,
  recordActivity,
  recordActivityInOwnTransaction,
  recordActivityWrite,
  type SystemAuthor,
  summaryOf,
} from "./activity.record.ts";
export { type Activity, ActivitySchema } from "./activity.schemas.ts";
export { createActivityService } from "./activity.service.ts";
export { createFeedCache, type FeedCache } from "./feed-cache.ts";
export { createRetention } from "./retention.ts";
