import { z } from "@hono/zod-openapi";
import { emailField, nameField, newPasswordField, opaqueTokenField, passwordField, uuidField } from "../../lib/fields.ts";
import { OrganisationSummarySchema, RoleSchema } from "../../lib/schemas.ts";

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

export const SwitchOrganisationBody = z.strictObject({ organisationId: uuidField }).openapi("SwitchOrganisationBody");

export const UserSchema = z
  .object({ id: z.uuid(), name: z.string(), email: z.string(), role: RoleSchema })
  .openapi("User");

export const TokenPairSchema = z
  .object({
    accessToken: z.string().openapi({ description: "JWT (HS256); lives JWT_ACCESS_EXPIRES_IN (see the API description)" }),
    refreshToken: z.string().openapi({ description: "Opaque, single use; rotate it with /api/auth/refresh" }),
  })
  .openapi("TokenPair");

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
export type TokenPair = z.infer<typeof TokenPairSchema>;
export type Me = z.infer<typeof MeSchema>;
