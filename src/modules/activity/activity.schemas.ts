import { z } from "@hono/zod-openapi";
import { instantField } from "../../lib/fields.ts";
import { cursorQuery, limitQuery, orNull, UserSummarySchema } from "../../lib/schemas.ts";
import { ACTIVITY_TYPES } from "../../lib/vocabulary.ts";

export const ActivityTypeSchema = z.enum(ACTIVITY_TYPES).openapi("ActivityType");

export const ActivitySchema = z
  .object({
    id: z.string().openapi({ description: "Increases in commit order within an organisation; use it as `since` on /ws", example: "1042" }),
    type: ActivityTypeSchema,
    message: z.string().openapi({ description: "A human sentence; for a broadcast, its text" }),
    actor: orNull(UserSummarySchema),
    target: orNull(UserSummarySchema),
    metadata: z.record(z.string(), z.unknown()).openapi({ description: "The event's payload, as sent on /ws" }),
    createdAt: z.iso.datetime(),
    context: z
      .object({
        requestId: z.string().nullable(),
        ip: z.string().nullable(),
        userAgent: z.string().nullable(),
        forwardedRequestId: z
          .string()
          .nullable()
          .openapi({ description: "The caller's own X-Request-Id, kept only behind a trusted proxy" }),
      })
      .optional()
      .openapi({ description: "The request that caused it (request id, client IP as the rate limits saw it, user agent). ADMINs only." }),
  })
  .openapi("Activity");

export const ActivityQuery = z.object({
  limit: limitQuery,
  cursor: cursorQuery,
  type: ActivityTypeSchema.optional().openapi({ param: { name: "type", in: "query" } }),
});

export const EXPORT_FORMATS = ["ndjson", "csv"] as const;

export const ExportQuery = z
  .object({
    format: z
      .enum(EXPORT_FORMATS)
      .default("ndjson")
      .openapi({ param: { name: "format", in: "query" } }),
    from: instantField.optional().openapi({ param: { name: "from", in: "query" }, description: "Activities at or after this instant" }),
    to: instantField.optional().openapi({ param: { name: "to", in: "query" }, description: "Activities before this instant" }),
    type: ActivityTypeSchema.optional().openapi({ param: { name: "type", in: "query" } }),
  })
  .refine((query) => !query.from || !query.to || query.from < query.to, { path: ["to"], message: "Must be after from" });

export type Activity = z.infer<typeof ActivitySchema>;
export type ExportQueryInput = z.infer<typeof ExportQuery>;
export type ActivityQueryInput = z.infer<typeof ActivityQuery>;
