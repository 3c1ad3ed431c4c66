import { z } from "@hono/zod-openapi";
import { RoleSchema } from "../lib/schemas.ts";

// The /ws protocol's own messages, as schemas: the server sends and parses exactly these (events.ts,
// hub.ts), the AsyncAPI document at /docs/asyncapi.json and the client SDK's types are built
// from them. Activity events (every other `type`) carry the payloads of the activity module.

/** A message type as a component name's part: REPLAY_TRUNCATED → ReplayTruncated. */
export const pascalCase = (type: string) => type.toLowerCase().replace(/(^|_)(\w)/g, (_, __, c: string) => c.toUpperCase());

/** Every server message: `type`, `at` (when sent, or an activity's commit time), and for an activity its `id`. */
const serverMessage = <T extends string, P extends z.ZodType>(type: T, payload: P, description: string) =>
  z.object({ type: z.literal(type), payload, at: z.iso.datetime() }).openapi(`Socket${pascalCase(type)}Message`, { description });

export const CONTROL_PAYLOADS = {
  CONNECTED: z.object({
    userId: z.uuid(),
    organisationId: z.uuid(),
    role: RoleSchema,
    lastActivityId: z.string().openapi({ description: "Events after this id follow: resume with it as `since` if nothing else arrives" }),
  }),
  PONG: z.object({}).optional(),
  AUTHENTICATED: z.object({ expiresAt: z.iso.datetime().openapi({ description: "The socket now lives until this token's expiry" }) }),
  ERROR: z.object({ message: z.string() }),
  REPLAY_TRUNCATED: z.object({
    since: z.string(),
    oldestReplayedId: z
      .string()
      .nullable()
      .openapi({ description: "More than REPLAY_LIMIT were missed: page GET /api/activities for the rest" }),
  }),
} as const;

export type ControlType = keyof typeof CONTROL_PAYLOADS;
export type ControlPayload<T extends ControlType> = z.infer<(typeof CONTROL_PAYLOADS)[T]>;

export const CONTROL_MESSAGES = {
  CONNECTED: serverMessage("CONNECTED", CONTROL_PAYLOADS.CONNECTED, "The first message: who the socket is, and from where events follow"),
  PONG: serverMessage("PONG", CONTROL_PAYLOADS.PONG, "The answer to a PING"),
  AUTHENTICATED: serverMessage("AUTHENTICATED", CONTROL_PAYLOADS.AUTHENTICATED, "An AUTH was accepted"),
  ERROR: serverMessage("ERROR", CONTROL_PAYLOADS.ERROR, "A client message was refused; the socket stays as it was"),
  REPLAY_TRUNCATED: serverMessage("REPLAY_TRUNCATED", CONTROL_PAYLOADS.REPLAY_TRUNCATED, "A resume missed more than the server replays"),
};

/** What a client may send; anything else is ignored. */
export const ClientMessageSchema = z
  .discriminatedUnion("type", [
    z.object({ type: z.literal("PING") }).openapi("SocketPingMessage", { description: "Answered with PONG" }),
    z.object({ type: z.literal("AUTH"), token: z.string().min(1).max(4096) }).openapi("SocketAuthMessage", {
      description: "A fresh access token of the same user and organisation: the socket lives until it expires",
    }),
  ])
  .openapi("SocketClientMessage");

export type ClientMessage = z.infer<typeof ClientMessageSchema>;
