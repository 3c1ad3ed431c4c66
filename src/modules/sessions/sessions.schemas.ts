import { z } from "@hono/zod-openapi";

export const LOGOUT_SCOPES = ["local", "others", "global"] as const;

export const SessionInfoSchema = z
  .object({
    id: z.uuid(),
    organisationId: z.uuid(),
    organisationName: z.string(),
    createdAt: z.iso.datetime(),
    lastUsedAt: z.iso.datetime().openapi({ description: "When its tokens were last issued (sign-in or refresh)" }),
    userAgent: z.string().nullable(),
    ip: z.string().nullable(),
    current: z.boolean().openapi({ description: "The session of the access token making this request" }),
  })
  .openapi("Session");

export const SessionsSchema = z.object({ sessions: z.array(SessionInfoSchema) }).openapi("Sessions");

export const TokenPairSchema = z
  .object({
    accessToken: z.string().openapi({ description: "JWT (HS256); lives JWT_ACCESS_EXPIRES_IN (see the API description)" }),
    refreshToken: z.string().openapi({ description: "Opaque, single use; rotate it with /api/auth/refresh" }),
  })
  .openapi("TokenPair");

export type LogoutScope = (typeof LOGOUT_SCOPES)[number];
export type SessionInfo = z.infer<typeof SessionInfoSchema>;
export type TokenPair = z.infer<typeof TokenPairSchema>;
