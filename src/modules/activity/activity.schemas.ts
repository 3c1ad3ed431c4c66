import { z } from "@hono/zod-openapi";
import { cursorQuery, limitQuery, UserSummarySchema } from "../../lib/schemas.ts";
import { ACTIVITY_TYPES } from "../../lib/vocabulary.ts";

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

export const ActivityQuery = z.object({
  limit: limitQuery,
  cursor: cursorQuery,
  type: ActivityTypeSchema.optional().openapi({ param: { name: "type", in: "query" } }),
});

export type Activity = z.infer<typeof ActivitySchema>;
export type ActivityQueryInput = z.infer<typeof ActivityQuery>;
