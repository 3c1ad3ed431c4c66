import { z } from "@hono/zod-openapi";
import { messageField, nameField } from "../../lib/fields.ts";
import { PlanSchema } from "../../lib/schemas.ts";

export const OrganisationSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    slug: z.string(),
    subscriptionPlan: PlanSchema,
    memberCount: z.number().int(),
    memberLimit: z.number().int().nullable().openapi({ description: "null when unlimited" }),
    pendingInvites: z.number().int(),
    createdAt: z.iso.datetime(),
  })
  .openapi("Organisation");

export const ChangePlanBody = z.strictObject({ plan: PlanSchema }).openapi("ChangePlanBody");

export const BroadcastBody = z
  .strictObject({ message: messageField(2000).openapi({ example: "Deploy at 17:00, expect a short blip." }) })
  .openapi("BroadcastBody");

export const RenameBody = z.strictObject({ name: nameField() }).openapi("RenameOrganisationBody");

export const CreateOrganisationBody = z.strictObject({ name: nameField() }).openapi("CreateOrganisationBody");

export const DeleteOrganisationBody = z
  .strictObject({ confirmName: z.string().max(200).openapi({ description: "The organisation's exact name, to confirm" }) })
  .openapi("DeleteOrganisationBody");

export type Organisation = z.infer<typeof OrganisationSchema>;

export const SecurityBody = z
  .strictObject({ requireTwoFactor: z.boolean().openapi({ description: "Every member must have a second factor (TOTP or a passkey)" }) })
  .openapi("OrganisationSecurityBody");

export const SecuritySchema = z.object({ requireTwoFactor: z.boolean() }).openapi("OrganisationSecurity");
export type OrganisationSecurity = z.infer<typeof SecuritySchema>;
