import { z } from "@hono/zod-openapi";
import { ACTIVITY_TYPES } from "./activity.events.ts";

export const UserSummarySchema = z
  .object({ id: z.uuid(), name: z.string(), email: z.string() })
  .openapi("UserSummary");

export const ActivityTypeSchema = z.enum(ACTIVITY_TYPES).openapi("ActivityType");

export const ActivitySchema = z
  .object({
    id: z.string().openapi({ description: "Increases in commit order within an organisation; use it as `since` on /ws", example: "1042" }),
    type: ActivityTypeSchema,
    message: z.string().openapi({ description: "A human sentence; for a broadcast, its text" }),
    actor: UserSummarySchema.nullable(),
    target: UserSummarySchema.nullable(),
    metadata: z.record(z.string(), z.unknown()).openapi({ description: "The event's payload, as sent on /ws" }),
    createdAt: z.iso.datetime(),
  })
  .openapi("Activity");

export const limitQuery = z.coerce
  .number()
  .int()
  .min(1)
  .max(100)
  .default(50)
  .openapi({ param: { name: "limit", in: "query" }, example: 50 });

export const cursorQuery = z
  .string()
  .max(200)
  .optional()
  .openapi({ param: { name: "cursor", in: "query" }, description: "`meta.nextCursor` of the previous page" });

export const ActivityQuery = z.object({
  limit: limitQuery,
  cursor: cursorQuery,
  type: ActivityTypeSchema.optional().openapi({ param: { name: "type", in: "query" } }),
});

export type Activity = z.infer<typeof ActivitySchema>;
export type ActivityQueryInput = z.infer<typeof ActivityQuery>;
