import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-env.ts";
import type { Logger } from "../lib/logger.ts";

/**
 * One line per request (and, at debug level, one as it starts, to find a request that hangs).
 * It logs the path without its query string and never a header or a body, so `?token=…`,
 * `Authorization`, passwords and refresh or invite tokens cannot reach the log by construction
 * rather than by a redaction list that must stay complete.
 */
export const requestLog = (logger: Logger) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const started = performance.now();
    logger.debug("request started", { requestId: c.var.requestId, method: c.req.method, path: c.req.path });
    await next();
    logger.info("request", {
      requestId: c.var.requestId,
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
      organisationId: c.var.auth?.orgId,
      traceId: c.var.traceId,
      ...(c.var.forwardedRequestId ? { forwardedRequestId: c.var.forwardedRequestId } : {}),
    });
  });
