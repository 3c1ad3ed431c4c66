import { z } from "@hono/zod-openapi";
import { PLAN_NAMES, ROLES } from "./vocabulary.ts";

// Schemas that more than one module speaks: the vocabulary as OpenAPI components, and the
// shape of a keyset page.

/**
 * `schema` or null. For a schema registered as a component, zod-to-openapi renders `.nullable()`
 * as `allOf: [$ref, {type: [object, null]}]`, which no null satisfies (a $ref is never null); a
 * union renders as `anyOf: [$ref, {type: null}]`, which validators and openapi-typescript read
 * right. tests/openapi-contract.test.ts refuses the broken form anywhere in the document.
 */
export const orNull = <T extends z.ZodType>(schema: T) => z.union([schema, z.null()]);

export const RoleSchema = z.enum(ROLES).openapi("Role");

export const PlanSchema = z.enum(PLAN_NAMES).openapi("Plan");

export const UserSummarySchema = z.object({ id: z.uuid(), name: z.string(), email: z.string() }).openapi("UserSummary");

export const OrganisationSummarySchema = z
  .object({ id: z.uuid(), name: z.string(), slug: z.string(), subscriptionPlan: PlanSchema })
  .openapi("OrganisationSummary");

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

/** `?limit=&cursor=` of a keyset-paginated list. */
export const PageQuery = z.object({ limit: limitQuery, cursor: cursorQuery });

/** The tokens of a session: what every sign-in, refresh and switch hands back. */
export const TokenPairSchema = z
  .object({
    accessToken: z.string().openapi({ description: "JWT (HS256); lives JWT_ACCESS_EXPIRES_IN (see the API description)" }),
    refreshToken: z.string().openapi({ description: "Opaque, single use; rotate it with /api/auth/refresh" }),
  })
  .openapi("TokenPair");

export const UserSchema = z.object({ id: z.uuid(), name: z.string(), email: z.string(), role: RoleSchema }).openapi("User");

/** What every flow that opens a session in an organisation answers: its tokens, who, and where. */
export const AuthResultSchema = TokenPairSchema.extend({
  user: UserSchema,
  organisation: OrganisationSummarySchema,
}).openapi("AuthResult");

/** A sign-in whose password (or invitation) was right, for an account with a second factor: no tokens yet. */
export const SecondStepSchema = z
  .object({
    mfaRequired: z.literal(true),
    mfaToken: z.string().openapi({ description: "Send it to POST /api/auth/2fa/verify with a code; lives 5 minutes, works once" }),
    methods: z
      .array(z.enum(["totp", "recovery_code", "passkey"]))
      .openapi({ description: "What the account can answer with: totp and recovery_code, and passkey (sign in with it instead)" }),
  })
  .openapi("SecondStepRequired");

export type SecondStep = z.infer<typeof SecondStepSchema>;
export type TokenPair = z.infer<typeof TokenPairSchema>;
export type AuthResult = z.infer<typeof AuthResultSchema>;
export type PageInput = z.infer<typeof PageQuery>;
export type OrganisationSummary = z.infer<typeof OrganisationSummarySchema>;
