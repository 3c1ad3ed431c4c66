import { z } from "@hono/zod-openapi";
import { emailField, nameField, newPasswordField, opaqueTokenField, passwordField, uuidField } from "../../lib/fields.ts";
import { OrganisationSummarySchema, orNull, RoleSchema, TokenPairSchema } from "../../lib/schemas.ts";
import { LOGOUT_SCOPES } from "../sessions/index.ts";

export const RegisterBody = z
  .strictObject({
    name: nameField(),
    email: emailField,
    password: newPasswordField,
    organisationName: nameField(),
  })
  .openapi("RegisterBody");

export const LoginBody = z
  .strictObject({
    email: emailField,
    password: passwordField,
    organisationId: uuidField.optional().openapi({ description: "Which membership to sign in to; the oldest when absent" }),
  })
  .openapi("LoginBody");

export const RefreshTokenBody = z.strictObject({ refreshToken: opaqueTokenField }).openapi("RefreshTokenBody");

export const LogoutBody = z
  .strictObject({
    refreshToken: opaqueTokenField,
    scope: z.enum(LOGOUT_SCOPES).default("local").openapi({
      description: "`local` (default): this session. `others`: every other session of yours, in every organisation. `global`: all of them.",
    }),
  })
  .openapi("LogoutBody");

export const SwitchOrganisationBody = z.strictObject({ organisationId: uuidField }).openapi("SwitchOrganisationBody");

/** The user as an account-level answer sees them: no role when the session belongs to no organisation. */
export const AccountUserSchema = z
  .object({ id: z.uuid(), name: z.string(), email: z.string(), role: orNull(RoleSchema) })
  .openapi("AccountUser");

/**
 * What sign-in answers: like every token response, except that an account in no organisation
 * (its last one was deleted) signs in to none — `organisation` null — and can then create one,
 * accept an invitation, or close the account.
 */
export const LoginResultSchema = TokenPairSchema.extend({
  user: AccountUserSchema,
  organisation: orNull(OrganisationSummarySchema).openapi({ description: "null: the account belongs to no organisation" }),
}).openapi("LoginResult");

export const MeSchema = z
  .object({
    user: AccountUserSchema,
    organisation: orNull(OrganisationSummarySchema).openapi({ description: "The organisation of this session; null when it has none" }),
    role: orNull(RoleSchema),
    emailVerified: z
      .boolean()
      .openapi({ description: "Whether the address is proven (a verification link, or an emailed invitation or reset used)" }),
    memberships: z.array(z.object({ organisationId: z.uuid(), name: z.string(), role: RoleSchema })),
  })
  .openapi("Me");

export type RegisterInput = z.infer<typeof RegisterBody>;
export type LoginInput = z.infer<typeof LoginBody>;
export type LoginResult = z.infer<typeof LoginResultSchema>;
export type Me = z.infer<typeof MeSchema>;

export { type AuthResult, AuthResultSchema, UserSchema } from "../../lib/schemas.ts";
