import { z } from "@hono/zod-openapi";

export const LOGOUT_SCOPES = ["local", "others", "global"] as const;

export const SessionInfoSchema = z
  .object({
    id: z.uuid(),
    organisationId: z.uuid().nullable().openapi({ description: "null: a session of the account in no organisation" }),
    organisationName: z.string().nullable(),
    createdAt: z.iso.datetime(),
    lastUsedAt: z.iso.datetime().openapi({ description: "When its tokens were last issued (sign-in or refresh)" }),
    userAgent: z.string().nullable(),
    ip: z.string().nullable(),
    current: z.boolean().openapi({ description: "The session of the access token making this request" }),
  })
  .openapi("Session");

export const SessionsSchema = z.object({ sessions: z.array(SessionInfoSchema) }).openapi("Sessions");

export type LogoutScope = (typeof LOGOUT_SCOPES)[number];
export type SessionInfo = z.infer<typeof SessionInfoSchema>;

export { type TokenPair, TokenPairSchema } from "../../lib/schemas.ts";
