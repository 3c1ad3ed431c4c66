import { z } from "@hono/zod-openapi";
import { SESSION_METHODS } from "../../db/schema/index.ts";

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
    method: z
      .enum(SESSION_METHODS)
      .openapi({ description: "How it was signed in to (a session made from another, by switching organisation, inherits its method)" }),
    current: z.boolean().openapi({ description: "The session of the access token making this request" }),
  })
  .openapi("Session");

export const SessionsSchema = z.object({ sessions: z.array(SessionInfoSchema) }).openapi("Sessions");

export type LogoutScope = (typeof LOGOUT_SCOPES)[number];
export type SessionInfo = z.infer<typeof SessionInfoSchema>;

export { type TokenPair, TokenPairSchema } from "../../lib/schemas.ts";
