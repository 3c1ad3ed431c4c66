import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-env.ts";
import { type Logger, withLogContext } from "../lib/logger.ts";

/**
 * One line per request (and, at debug level, one as it starts, to find a request that hangs),
 * and the request's id and trace id on every other line logged while it is handled. It logs the
 * path without its query string and never a header or a body, so `?token=…`, `Authorization`,
 * passwords and refresh or invite tokens cannot reach the log by construction; the logger's
 * redaction list (lib/logger.ts) is the second line of defence.
 */
export const requestLog = (logger: Logger) =>
  createMiddleware<AppEnv>((c, next) =>
    withLogContext(
      {
        requestId: c.get("requestId"),
        ...(c.get("traceId") ? { traceId: c.get("traceId") } : {}),
        ...(c.get("forwardedRequestId") ? { forwardedRequestId: c.get("forwardedRequestId") } : {}),
      },
      async () => {
        const started = performance.now();
        logger.debug("request started", { method: c.req.method, path: c.req.path });
        await next();
        logger.info("request", {
          method: c.req.method,
          path: c.req.path,
          status: c.res.status,
          durationMs: Math.round((performance.now() - started) * 10) / 10,
          organisationId: c.get("auth")?.orgId,
        });
      },
    ),
  );
