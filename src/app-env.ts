import type { RouteConfig, RouteHandler } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import type { AccountContext, AuthContext } from "./lib/auth-context.ts";
import type { Operator } from "./modules/admin/index.ts";
import type { SocketData } from "./realtime/socket.ts";
import type { Services } from "./services.ts";

/** What Bun hands `fetch` as its second argument: the server, for the peer's address and upgrades. */
export type ServerBinding = {
  requestIP(request: Request): { address: string } | null;
  upgrade(request: Request, options: { data: SocketData; headers?: Record<string, string> }): boolean;
};

/** What the /ws upgrade asks of this instance's rooms (realtime/hub.ts). */
export type RealtimeView = { publishedUpTo(organisationId: string): bigint | undefined };

/** The one typed environment of every route, middleware and handler. */
export type AppEnv = {
  Bindings: ServerBinding | undefined;
  Variables: {
    requestId: string;
    /** The caller's own X-Request-Id, kept only behind a trusted proxy (middleware/request-ids.ts). */
    forwardedRequestId?: string;
    /** The request's trace, when tracing is on. */
    traceId?: string;
    /** The caller as a member of their session's organisation (routes that need one). */
    auth: AuthContext;
    /** The caller as an account, in an organisation or none (every signed-in route). */
    account: AccountContext;
    /** The caller as a platform operator (the /api/admin routes, after their check). */
    operator: Operator;
    services: Services;
    /** The per-address credential budget, for the routes that check a password or token to run first. */
    credentialBudget: MiddlewareHandler<AppEnv>;
    /** This instance's realtime side, as the /ws upgrade sees it. */
    realtime: RealtimeView;
    /** The client's address as the rate limits see it (see middleware/client-ip.ts). */
    clientIp: string;
    /** Set by hono-rate-limiter: the caller's budget in the current window. */
    rateLimit: { limit: number; used: number; remaining: number; resetTime?: Date };
  };
};

export type AppRouteHandler<R extends RouteConfig> = RouteHandler<R, AppEnv>;
