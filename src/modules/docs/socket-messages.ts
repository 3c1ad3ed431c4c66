import { z } from "@hono/zod-openapi";
import { ACTIVITY_TYPES, type ActivityType } from "../../lib/vocabulary.ts";
import { CLOSE } from "../../realtime/events.ts";
import { ClientMessageSchema, CONTROL_MESSAGES, pascalCase } from "../../realtime/protocol.ts";
import { ACTIVITY_PAYLOADS } from "../activity/index.ts";

/** An activity on the socket: `{ type, payload, id, at }`, the payload its type's schema. */
const activityMessage = (type: ActivityType) =>
  z
    .object({
      type: z.literal(type),
      payload: ACTIVITY_PAYLOADS[type],
      id: z.string().openapi({ description: "The activity id: pass the last one delivered as `since` to resume" }),
      at: z.iso.datetime().openapi({ description: "When it committed" }),
    })
    .openapi(`Socket${pascalCase(type)}Event`);

export const ACTIVITY_MESSAGES = Object.fromEntries(ACTIVITY_TYPES.map((type) => [type, activityMessage(type)])) as {
  [K in ActivityType]: ReturnType<typeof activityMessage>;
};

/** Everything the server sends on /ws, by `type`. */
export const ServerMessageSchema = z
  .discriminatedUnion("type", [...Object.values(CONTROL_MESSAGES), ...Object.values(ACTIVITY_MESSAGES)] as unknown as [
    z.ZodObject,
    ...z.ZodObject[],
  ])
  .openapi("SocketServerMessage", { description: "A message on /ws from the server: a control message or an activity event" });

const CLOSE_DESCRIPTIONS: Record<keyof typeof CLOSE, string> = {
  goingAway: "the server is shutting down: reconnect with since",
  internalError: "the server could not bring the socket up to date: reconnect with since",
  authExpired: "the access token expired or the session was revoked: refresh, then reconnect",
  removed: "no longer a member of the organisation: do not reconnect",
  noOrganisation: "the session belongs to no organisation: do not reconnect as is",
  suspended: "the organisation is suspended: do not reconnect",
  secondFactorRequired: "the organisation requires a second factor this member has not set up",
  accountDisabled: "the account is disabled: do not reconnect",
};

const jsonSchemaOf = (schema: z.ZodType) => z.toJSONSchema(schema, { target: "draft-2020-12", unrepresentable: "any" });

/**
 * /docs/asyncapi.json: the /ws protocol as an AsyncAPI 3 document, built from the very schemas
 * the server sends and parses with (realtime/protocol.ts, the activity payloads).
 */
export function asyncApiDocument() {
  const server = { ...CONTROL_MESSAGES, ...ACTIVITY_MESSAGES };
  const client = { PING: ClientMessageSchema.options[0], AUTH: ClientMessageSchema.options[1] };
  const messages: Record<string, object> = {};
  const schemas: Record<string, unknown> = {};
  for (const [type, schema] of [...Object.entries(server), ...Object.entries(client)]) {
    schemas[type] = jsonSchemaOf(schema);
    messages[type] = { name: type, payload: { $ref: `#/components/schemas/${type}` } };
  }
  const refs = (names: string[]) => names.map((name) => ({ $ref: `#/channels/realtime/messages/${name}` }));
  return {
    asyncapi: "3.1.0",
    info: {
      title: "SaaS backend realtime",
      version: "1.0.0",
      description: [
        "Events of the caller's organisation, in commit order, each once. Connect to /ws with `Sec-WebSocket-Protocol: bearer, <token>`;",
        "`?since=<id>` resumes after an activity id. Close codes:",
        ...Object.entries(CLOSE).map(([name, code]) => `${code} ${CLOSE_DESCRIPTIONS[name as keyof typeof CLOSE]}`),
      ].join(" "),
    },
    channels: {
      realtime: {
        address: "/ws",
        messages: Object.fromEntries(Object.keys(messages).map((name) => [name, { $ref: `#/components/messages/${name}` }])),
      },
    },
    operations: {
      serverSends: { action: "send", channel: { $ref: "#/channels/realtime" }, messages: refs(Object.keys(server)) },
      serverReceives: { action: "receive", channel: { $ref: "#/channels/realtime" }, messages: refs(Object.keys(client)) },
    },
    components: { messages, schemas },
  };
}
