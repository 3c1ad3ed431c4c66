import { bearerAuth } from "hono/bearer-auth";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import type { AppEnv, RealtimeView } from "./app-env.ts";
import type { Config } from "./config/env.ts";
import { errorHandler, notFoundHandler } from "./lib/errors.ts";
import type { Logger } from "./lib/logger.ts";
import { type Metrics, metricsAreExposed } from "./lib/metrics.ts";
import { declareUnsupportedMediaType, fail } from "./lib/response.ts";
import { createRouter } from "./lib/router.ts";
import { tracingEnabled } from "./lib/spans.ts";
import { clientIp } from "./middleware/client-ip.ts";
import { measureRequests, traceRequests } from "./middleware/observe.ts";
import { type RateLimits, WEBHOOK_PATH } from "./middleware/rate-limit.ts";
import { requestIds } from "./middleware/request-ids.ts";
import { requestLog } from "./middleware/request-log.ts";
import { apiSecurityHeaders, documentSecurityHeaders } from "./middleware/security-headers.ts";
import { utf8Body } from "./middleware/utf8-body.ts";
import { accountRouter } from "./modules/account/account.router.ts";
import { activityRouter } from "./modules/activity/activity.router.ts";
import { adminRouter } from "./modules/admin/admin.router.ts";
import { authRouter } from "./modules/auth/auth.router.ts";
import { billingRouter } from "./modules/billing/billing.router.ts";
import { docsRouter } from "./modules/docs/docs.router.ts";
import { ServerMessageSchema } from "./modules/docs/index.ts";
import { factorsRouter } from "./modules/factors/factors.router.ts";
import { healthRouter } from "./modules/health/health.router.ts";
import { type DevMailbox, mailboxPage } from "./modules/mail/index.ts";
import { membersRouter } from "./modules/members/members.router.ts";
import { organisationsRouter } from "./modules/organisations/organisations.router.ts";
import { pagesRouter } from "./modules/pages/pages.router.ts";
import { ClientMessageSchema } from "./realtime/protocol.ts";
import { realtimeRouter } from "./realtime/ws.router.ts";
import type { Services } from "./services.ts";

export type AppDeps = {
  /** Everything else the app needs (CORS origins, TRUST_PROXY, lifetimes, METRICS_TOKEN) it reads from here. */
  config: Config;
  logger: Logger;
  services: Services;
  rateLimits: Pick<RateLimits, "everywhere" | "credentials" | "webhooks">;
  /** This instance's rooms, for the /ws upgrade. */
  realtime: RealtimeView;
  /** In development without SMTP, where mail goes: shown at /dev/mailbox (never in production). */
  devMailbox?: DevMailbox;
  metrics: Metrics;
};

const BODY_LIMIT_BYTES = 100 * 1024;
/** Stripe's events run larger than ours (an invoice with many lines); still bounded. */
const WEBHOOK_BODY_LIMIT_BYTES = 512 * 1024;

const PAGE_PATHS = new Set(["/", "/docs", "/accept-invite", "/reset-password", "/verify-email"]);
const isPage = (path: string) => PAGE_PATHS.has(path) || path.startsWith("/docs/") || path.startsWith("/pages/");

const humanDuration = (seconds: number) => {
  for (const [unit, size] of [
    ["day", 86400],
    ["hour", 3600],
    ["minute", 60],
  ] as const) {
    if (seconds % size === 0) return `${seconds / size} ${unit}${seconds === size ? "" : "s"}`;
  }
  return `${seconds} seconds`;
};

/** The document's front page; lifetimes are the configured ones, not a copy of the defaults. */
const apiDescription = (lifetimes: {
  accessToken: number;
  refreshToken: number;
  invite: number;
}) => `Multi-tenant SaaS backend: organisations, members, invitations, an activity feed and realtime events.

Sign in with \`POST /api/auth/login\` (or register), then **Authorize** with the \`accessToken\`.
Watch realtime events in the browser at [/docs/ws](/docs/ws).
Every response is an envelope \`{ success, message, data }\`; errors add \`errors: [{ path, message }]\`.

On this server access tokens live ${humanDuration(lifetimes.accessToken)}, refresh tokens ${humanDuration(lifetimes.refreshToken)} \
and invites ${humanDuration(lifetimes.invite)}.`;

/** The whole HTTP API, ready for `fetch`; importable by tests without a listening server. */
export function createApp({ config, logger, services, rateLimits, realtime, devMailbox, metrics }: AppDeps) {
  const app = createRouter<AppEnv>();
  const corsOrigins = config.CORS_ORIGINS;
  // /metrics rides the public port only behind its token, and only when it has no port of its own.
  const metricsToken = config.METRICS_PORT === undefined ? config.METRICS_TOKEN : undefined;

  app.use(requestIds(config.TRUST_PROXY));
  if (metricsAreExposed(config)) app.use(measureRequests(metrics));
  if (tracingEnabled()) app.use(traceRequests);
  app.use(async (c, next) => {
    c.set("services", services);
    c.set("credentialBudget", rateLimits.credentials);
    c.set("realtime", realtime);
    await next();
  });
  app.use(clientIp(config.TRUST_PROXY));
  app.use(requestLog(logger));
  // Pages a person opens get the document headers; everything else is the API's JSON.
  app.use(async (c, next) => (isPage(c.req.path) ? documentSecurityHeaders(c, next) : apiSecurityHeaders(c, next)));
  if (corsOrigins.length > 0) {
    // Bearer tokens, never cookies: no credentials mode, so a listed origin is all it takes.
    app.use(
      cors({
        origin: corsOrigins,
        allowHeaders: ["authorization", "content-type", "x-request-id"],
        exposeHeaders: ["x-request-id", "ratelimit-limit", "ratelimit-remaining", "ratelimit-reset", "retry-after"],
        maxAge: 600,
      }),
    );
  }
  app.use(rateLimits.everywhere);
  app.use(WEBHOOK_PATH, rateLimits.webhooks);
  const limitBodies = (maxSize: number) =>
    bodyLimit({ maxSize, onError: (c) => fail(c, "PAYLOAD_TOO_LARGE", `Request body is larger than ${maxSize / 1024} KB`) });
  const apiBodies = limitBodies(BODY_LIMIT_BYTES);
  const webhookBodies = limitBodies(WEBHOOK_BODY_LIMIT_BYTES);
  app.use((c, next) => (c.req.path === WEBHOOK_PATH ? webhookBodies(c, next) : apiBodies(c, next)));
  app.use(utf8Body);
  app.route("/", healthRouter);
  app.route("/", authRouter);
  app.route("/", factorsRouter);
  app.route("/", accountRouter);
  app.route("/", organisationsRouter);
  app.route("/", membersRouter);
  app.route("/", activityRouter);
  app.route("/", billingRouter);
  app.route("/", adminRouter);
  app.route("/", realtimeRouter);

  // The socket's messages, so that clients generated from the document get their types (see /docs/asyncapi.json).
  app.openAPIRegistry.register("SocketServerMessage", ServerMessageSchema);
  app.openAPIRegistry.register("SocketClientMessage", ClientMessageSchema);
  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
  });
  // Built on first request, once every route is registered, then served from memory.
  let spec: ReturnType<typeof app.getOpenAPI31Document> | undefined;
  const lifetimes = {
    accessToken: config.JWT_ACCESS_EXPIRES_IN,
    refreshToken: config.JWT_REFRESH_EXPIRES_IN,
    invite: config.INVITE_EXPIRES_IN,
  };
  app.get("/docs/spec", (c) => {
    spec ??= declareUnsupportedMediaType(
      app.getOpenAPI31Document({
        openapi: "3.1.0",
        info: { title: "SaaS backend API", version: "1.0.0", description: apiDescription(lifetimes) },
        servers: [{ url: "/", description: "This server" }],
      }),
    );
    return c.json(spec);
  });
  app.route("/", docsRouter);
  app.route("/", pagesRouter);
  if (devMailbox) app.get("/dev/mailbox", (c) => c.html(mailboxPage(devMailbox)));
  if (metricsToken) {
    app.get("/metrics", bearerAuth({ token: metricsToken }), async (c) =>
      c.body(await metrics.registry.metrics(), 200, { "content-type": metrics.registry.contentType }),
    );
  }

  app.notFound(notFoundHandler);
  app.onError(errorHandler(logger));
  return app;
}

export type App = ReturnType<typeof createApp>;
export type { AppEnv };
