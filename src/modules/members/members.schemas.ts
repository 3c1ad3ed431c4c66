import { z } from "@hono/zod-openapi";
import { emailField, nameField, newPasswordField, opaqueTokenField } from "../../lib/fields.ts";
import { orNull, RoleSchema, UserSummarySchema } from "../../lib/schemas.ts";

export const MemberSchema = z
  .object({ id: z.uuid(), name: z.string(), email: z.string(), role: RoleSchema, joinedAt: z.iso.datetime() })
  .openapi("Member");

export const InviteBody = z.strictObject({ email: emailField, role: RoleSchema }).openapi("InviteBody");

const InviteFields = z.object({ id: z.uuid(), email: z.string(), role: RoleSchema, expiresAt: z.iso.datetime() });

export const InviteSchema = InviteFields.extend({ invitedBy: orNull(UserSummarySchema) }).openapi("Invite");

export const CreatedInviteSchema = InviteFields.extend({
  token: z.string().openapi({ description: "Shown this once. The invitee also gets it by email, in the link to APP_URL/accept-invite" }),
}).openapi("CreatedInvite");

export const AcceptInviteBody = z
  .strictObject({
    token: opaqueTokenField,
    name: nameField().optional().openapi({ description: "Required for a new account; ignored for an existing one" }),
    // Every password an account can have met these rules when it was set, so checking them
    // first refuses nothing that could match, and answers the same whether or not an account exists.
    password: newPasswordField.openapi({
      description: "A new account's password (8–72 bytes), or the existing account's password to prove it",
    }),
  })
  .openapi("AcceptInviteBody");

export const ChangeRoleBody = z.strictObject({ role: RoleSchema }).openapi("ChangeRoleBody");

export type Member = z.infer<typeof MemberSchema>;
export type Invite = z.infer<typeof InviteSchema>;
export type CreatedInvite = z.infer<typeof CreatedInviteSchema>;
export type InviteInput = z.infer<typeof InviteBody>;
export type AcceptInviteInput = z.infer<typeof AcceptInviteBody>;
