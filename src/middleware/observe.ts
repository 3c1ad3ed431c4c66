import { context, propagation, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-env.ts";
import type { Metrics } from "../lib/metrics.ts";
import { tracer, tracingEnabled } from "../lib/spans.ts";

/** The route template that answered ("/api/users/:id/role"), never the raw path: bounded labels and span names. */
const routeOf = (c: Context<AppEnv>) => c.req.matchedRoutes.findLast((route) => route.method !== "ALL")?.path ?? "unmatched";

/** Every request into the latency histogram, by route template, method and status. */
export const measureRequests = (metrics: Metrics) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const stop = metrics.httpRequests.startTimer();
    try {
      await next();
    } finally {
      stop({ route: routeOf(c), method: c.req.method, status: String(c.res.status) });
    }
  });

/**
 * One server span per request, a child of the caller's `traceparent` when it sends one. The
 * trace id goes into the request's log line, and `traceparent` back to the caller. Installed
 * only when tracing is on.
 */
export const traceRequests = createMiddleware<AppEnv>(async (c, next) => {
  if (!tracingEnabled()) return next();
  const parent = propagation.extract(context.active(), Object.fromEntries(c.req.raw.headers));
  const span = tracer().startSpan(
    `${c.req.method}`,
    { kind: SpanKind.SERVER, attributes: { "http.request.method": c.req.method } },
    parent,
  );
  const { traceId, spanId, traceFlags } = span.spanContext();
  c.set("traceId", traceId);
  c.header("traceparent", `00-${traceId}-${spanId}-${traceFlags.toString(16).padStart(2, "0")}`);
  try {
    await context.with(trace.setSpan(parent, span), next);
  } finally {
    const route = routeOf(c);
    span.updateName(`${c.req.method} ${route}`);
    span.setAttributes({ "http.route": route, "http.response.status_code": c.res.status });
    if (c.res.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  }
});
