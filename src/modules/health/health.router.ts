import { createRoute, z } from "@hono/zod-openapi";
import type { AppEnv, AppRouteHandler } from "../../app-env.ts";
import { ErrorEnvelope, envelopeOf, fail, jsonContent, ok } from "../../lib/response.ts";
import { createRouter } from "../../lib/router.ts";

const Status = envelopeOf(z.object({ status: z.string() }));

export const health = createRoute({
  method: "get",
  path: "/health",
  operationId: "health",
  tags: ["Health"],
  security: [],
  summary: "Liveness: the process answers",
  responses: { 200: jsonContent(Status, "Alive") },
});

export const ready = createRoute({
  method: "get",
  path: "/ready",
  operationId: "ready",
  tags: ["Health"],
  security: [],
  summary: "Readiness: the database answers",
  responses: { 200: jsonContent(Status, "Ready"), 503: jsonContent(ErrorEnvelope, "Database unreachable") },
});

const healthHandler: AppRouteHandler<typeof health> = (c) => c.json(ok("OK", { status: "ok" }), 200);

const readyHandler: AppRouteHandler<typeof ready> = async (c) =>
  (await c.get("services").health.databaseReachable())
    ? c.json(ok("Ready", { status: "ready" }), 200)
    : (fail(c, "DATABASE_UNAVAILABLE", "Database unreachable") as never);

export const healthRouter = createRouter<AppEnv>().openapi(health, healthHandler).openapi(ready, readyHandler);
