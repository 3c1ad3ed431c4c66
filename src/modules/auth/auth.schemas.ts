import { z } from "@hono/zod-openapi";
import { emailField, nameField, newPasswordField, opaqueTokenField, passwordField, uuidField } from "../../lib/fields.ts";
import { OrganisationSummarySchema, RoleSchema } from "../../lib/schemas.ts";
import { LOGOUT_SCOPES, TokenPairSchema } from "../sessions/index.ts";

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

export const UserSchema = z.object({ id: z.uuid(), name: z.string(), email: z.string(), role: RoleSchema }).openapi("User");

export const AuthResultSchema = TokenPairSchema.extend({
  user: UserSchema,
  organisation: OrganisationSummarySchema,
}).openapi("AuthResult");

export const MeSchema = z
  .object({
    user: UserSchema,
    organisation: OrganisationSummarySchema,
    role: RoleSchema,
    memberships: z.array(z.object({ organisationId: z.uuid(), name: z.string(), role: RoleSchema })),
  })
  .openapi("Me");

export type RegisterInput = z.infer<typeof RegisterBody>;
export type LoginInput = z.infer<typeof LoginBody>;
export type AuthResult = z.infer<typeof AuthResultSchema>;
export type Me = z.infer<typeof MeSchema>;
