import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv, AppRouteHandler } from "../app-env.ts";
import { parseActivityId } from "../lib/activity-id.ts";
import type { AccountContext, AuthContext } from "../lib/auth-context.ts";
import { BadRequestError } from "../lib/errors.ts";
import { errorResponses } from "../lib/response.ts";
import { createRouter } from "../lib/router.ts";
import { BEARER_PROTOCOL, presentedToken, protocolToken } from "../middleware/auth.ts";
import { CLOSE, REPLAY_LIMIT } from "./events.ts";
import type { SocketData } from "./socket.ts";

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
    "Close codes: 4001 token expired or session revoked, 4003 removed from the organisation, 4004 a session of no organisation,",
    "4005 the organisation is suspended, 4006 the organisation requires a second factor this member has not set up, 4007 the account",
    "is disabled, 1001 server shutting down.",
    "Try it at [/docs/ws](/docs/ws).",
  ].join("\n"),
  request: { query: WsQuery },
  responses: {
    101: { description: "Switching protocols" },
    ...errorResponses(401),
  },
});

/** What the socket will be: admitted into its organisation's room, or accepted only to be closed with a code a browser can read. */
async function socketDataFor(c: Context<AppEnv>, account: AccountContext | "expired", since: string | undefined): Promise<SocketData> {
  if (account === "expired")
    return { refusal: { code: CLOSE.authExpired, reason: "Access token expired or session revoked: refresh, then reconnect" } };
  if (account.orgId === null || account.role === null) {
    return { refusal: { code: CLOSE.noOrganisation, reason: "This session belongs to no organisation" } };
  }
  if (account.disabled) return { refusal: { code: CLOSE.accountDisabled, reason: "This account has been disabled" } };
  if (account.suspended) return { refusal: { code: CLOSE.suspended, reason: "This organisation has been suspended" } };
  if (account.secondFactorMissing) {
    return { refusal: { code: CLOSE.secondFactorRequired, reason: "The organisation requires a second factor: set one up first" } };
  }
  const auth: AuthContext = { ...account, orgId: account.orgId, role: account.role };
  c.set("auth", auth);
  // Where the socket starts is fixed before it exists: after the newest activity now, or after
  // its `since`. Everything later reaches it, however late its room starts listening. An open
  // room here already knows a safe start; only the first socket of an organisation reads it.
  const latestId = c.get("realtime").publishedUpTo(auth.orgId) ?? (await c.get("services").activities.latestId(auth.orgId));
  return { auth, latestId, since: since === undefined ? latestId : (parseActivityId(since) as bigint) };
}

const connectHandler: AppRouteHandler<typeof connect> = async (c) => {
  const { since } = c.req.valid("query");
  // Only an upgrade can be accepted to be closed with a code; a plain request is answered as any other.
  const upgrading = c.req.header("upgrade")?.toLowerCase() === "websocket";
  const token = presentedToken(c.req);
  const account = upgrading ? await c.get("services").auth.authenticateSocket(token) : await c.get("services").auth.authenticate(token);
  const data = await socketDataFor(c, account, since);
  const upgraded = c.env?.upgrade(c.req.raw, {
    data,
    // A client that offered the bearer protocol must hear it chosen, or it drops the socket.
    headers: protocolToken(c.req.header("sec-websocket-protocol")) ? { "sec-websocket-protocol": BEARER_PROTOCOL } : undefined,
  });
  if (!upgraded) throw new BadRequestError("Expected a WebSocket upgrade request");
  // Bun has taken over the connection; this response is never sent.
  return new Response(null) as never;
};

export const realtimeRouter = createRouter<AppEnv>().openapi(connect, connectHandler);
