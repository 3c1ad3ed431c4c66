import { createRoute, z } from "@hono/zod-openapi";
import type { AppEnv, AppRouteHandler } from "../app-env.ts";
import { parseActivityId } from "../lib/activity-id.ts";
import { BadRequestError } from "../lib/errors.ts";
import { errorResponses } from "../lib/response.ts";
import { createRouter } from "../lib/router.ts";
import { BEARER_PROTOCOL, presentedToken, protocolToken } from "../middleware/auth.ts";
import { REPLAY_LIMIT } from "./events.ts";

const WsQuery = z.object({
  token: z
    .string()
    .max(4096)
    .optional()
    .openapi({
      param: { name: "token", in: "query" },
      description: "Access token. Prefer the `Sec-WebSocket-Protocol: bearer, <token>` header, which keeps it out of URLs",
    }),
  since: z
    .string()
    .refine((value) => parseActivityId(value) !== null, "Must be an activity id")
    .optional()
    .openapi({
      param: { name: "since", in: "query" },
      description: `Resume: replay up to ${REPLAY_LIMIT} activities after this id, then go live`,
    }),
});

export const connect = createRoute({
  method: "get",
  path: "/ws",
  operationId: "connectRealtime",
  tags: ["Realtime"],
  // The access token travels in the Sec-WebSocket-Protocol header (or ?token=), which OpenAPI cannot describe as a scheme.
  security: [],
  summary: "Realtime events of the caller's organisation (WebSocket)",
  description: [
    "Authenticate with `Sec-WebSocket-Protocol: bearer, <token>` (answered with protocol `bearer`) or `?token=`;",
    "refused with 401 before the upgrade.",
    "Server messages are `{ type, payload, id, at }`; the first is `CONNECTED` (with `lastActivityId`, the id after which events follow).",
    'Send `{"type":"PING"}` for a `PONG`, and `{"type":"AUTH","token":"…"}` with a fresh access token to keep the socket past the old',
    "token's expiry.",
    "Close codes: 4001 token expired or session revoked, 4003 removed from the organisation, 1001 server shutting down.",
    "Try it at [/docs/ws](/docs/ws).",
  ].join("\n"),
  request: { query: WsQuery },
  responses: {
    101: { description: "Switching protocols" },
    ...errorResponses(401),
  },
});

const connectHandler: AppRouteHandler<typeof connect> = async (c) => {
  const { since } = c.req.valid("query");
  const auth = await c.var.services.auth.authenticate(presentedToken(c.req));
  c.set("auth", auth);
  // Where the socket starts is fixed before it exists: after the newest activity now, or after
  // its `since`. Everything later reaches it, however late its room starts listening. An open
  // room here already knows a safe start; only the first socket of an organisation reads it.
  const latestId = c.var.realtime.publishedUpTo(auth.orgId) ?? (await c.var.services.activities.latestId(auth.orgId));
  const upgraded = c.env?.upgrade(c.req.raw, {
    data: { auth, latestId, since: since === undefined ? latestId : (parseActivityId(since) as bigint) },
    // A client that offered the bearer protocol must hear it chosen, or it drops the socket.
    headers: protocolToken(c.req.header("sec-websocket-protocol")) ? { "sec-websocket-protocol": BEARER_PROTOCOL } : undefined,
  });
  if (!upgraded) throw new BadRequestError("Expected a WebSocket upgrade request");
  // Bun has taken over the connection; this response is never sent.
  return new Response(null) as never;
};

export const realtimeRouter = createRouter<AppEnv>().openapi(connect, connectHandler);
