import { z } from "@hono/zod-openapi";
import { instantField, messageField } from "../../lib/fields.ts";
import { orNull, PageQuery, PlanSchema } from "../../lib/schemas.ts";
import { ROLES } from "../../lib/vocabulary.ts";

const reason = messageField(500).openapi({
  description: "Why: kept in the platform's audit log (and shown to the organisation's ADMINs where it concerns them)",
});

export const ReasonBody = z.strictObject({ reason }).openapi("OperatorReasonBody");

export const CompBody = z
  .strictObject({
    plan: orNull(PlanSchema).openapi({
      description: "The plan to set by hand; null lifts the comp (the plan goes back to what billing grants)",
    }),
    reason,
    until: instantField.optional().openapi({ description: "When the comp ends by itself (default: when lifted)" }),
  })
  .openapi("CompPlanBody");

export const OrganisationSearchQuery = PageQuery.extend({
  query: z.string().max(200).optional().openapi({ description: "Part of the name or slug" }),
  plan: PlanSchema.optional(),
  status: z.enum(["active", "suspended"]).optional(),
});

export const UserSearchQuery = z.object({
  email: z.string().min(1, "Must not be empty").max(254).openapi({ description: "Part of the email" }),
});

export const AdminOrganisationSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    slug: z.string(),
    plan: PlanSchema,
    memberCount: z.number().int(),
    status: z.enum(["active", "suspended"]),
    createdAt: z.iso.datetime(),
  })
  .openapi("AdminOrganisation");

const CompSchema = z.object({ plan: PlanSchema, until: z.iso.datetime().nullable(), reason: z.string().nullable() }).openapi("Comp");

export const AdminOrganisationDetailSchema = AdminOrganisationSchema.extend({
  suspendedAt: z.iso.datetime().nullable(),
  suspendedReason: z.string().nullable(),
  comp: orNull(CompSchema),
  billing: z.object({ status: z.string(), plan: orNull(PlanSchema), currentPeriodEnd: z.iso.datetime().nullable() }).nullable(),
  members: z.array(z.object({ userId: z.uuid(), name: z.string(), email: z.string(), role: z.enum(ROLES), joinedAt: z.iso.datetime() })),
  activities: z.array(z.object({ id: z.string(), type: z.string(), message: z.string(), createdAt: z.iso.datetime() })),
}).openapi("AdminOrganisationDetail");

export const PlanResultSchema = z.object({ plan: PlanSchema, comp: orNull(CompSchema) }).openapi("CompPlanResult");

export const AdminUserSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    email: z.string(),
    createdAt: z.iso.datetime(),
    disabledAt: z.iso.datetime().nullable(),
    platformRole: z.enum(["admin"]).nullable(),
    hasSecondFactor: z.boolean(),
  })
  .openapi("AdminUser");

export const AdminUserDetailSchema = AdminUserSchema.extend({
  memberships: z.array(z.object({ organisationId: z.uuid(), name: z.string(), role: z.enum(ROLES), organisationSuspended: z.boolean() })),
  sessions: z.array(
    z.object({
      id: z.uuid(),
      organisationId: z.uuid().nullable(),
      method: z.string(),
      createdAt: z.iso.datetime(),
      lastUsedAt: z.iso.datetime(),
      ip: z.string().nullable(),
      userAgent: z.string().nullable(),
    }),
  ),
}).openapi("AdminUserDetail");

export type OrganisationSearch = z.infer<typeof OrganisationSearchQuery>;
export type AdminOrganisation = z.infer<typeof AdminOrganisationSchema>;
export type AdminOrganisationDetail = z.infer<typeof AdminOrganisationDetailSchema>;
export type AdminUser = z.infer<typeof AdminUserSchema>;
export type AdminUserDetail = z.infer<typeof AdminUserDetailSchema>;
