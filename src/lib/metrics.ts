import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { Config } from "../config/env.ts";

/**
 * Whether anyone can read the metrics (METRICS_PORT or METRICS_TOKEN). What only they need is
 * not recorded otherwise: the request histogram alone costs about 2 µs a request (prom-client).
 */
export const metricsAreExposed = (config: Pick<Config, "METRICS_PORT" | "METRICS_TOKEN">) =>
  config.METRICS_PORT !== undefined || config.METRICS_TOKEN !== undefined;

/**
 * The instance's Prometheus metrics, one registry per instance (tests run several in one
 * process). Labels are bounded by construction: route templates, methods, status codes, close
 * codes and budget names — never a user, organisation or raw path.
 */
type OutboxDepth = () => Promise<{ waiting: number; setAside: number }>;

export function createMetrics({ outboxDepth, exposed = true }: { outboxDepth?: OutboxDepth; exposed?: boolean } = {}) {
  const registry = new Registry();
  // Process memory, CPU and event-loop lag (nodejs_eventloop_lag_*), as prom-client measures
  // them. Its event-loop monitor and GC observer run all the time, so only when someone reads.
  if (exposed) collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });

  const metrics = {
    registry,
    httpRequests: new Histogram({
      name: "http_request_duration_seconds",
      help: "HTTP requests by route template, method and status",
      labelNames: ["route", "method", "status"] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    socketsOpen: new Gauge({ name: "realtime_sockets_open", help: "Open WebSockets", registers: [registry] }),
    socketsClosed: new Counter({
      name: "realtime_sockets_closed_total",
      help: "WebSockets closed, by close code",
      labelNames: ["code"] as const,
      registers: [registry],
    }),
    eventsPublished: new Counter({
      name: "realtime_events_published_total",
      help: "Activity events published to a room",
      registers: [registry],
    }),
    deliveries: new Counter({
      name: "realtime_deliveries_total",
      help: "Event messages handed to sockets (publishes × subscribers)",
      registers: [registry],
    }),
    publishLag: new Histogram({
      name: "realtime_publish_lag_seconds",
      help: "From an activity's commit to its server.publish",
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers: [registry],
    }),
    listenConnected: new Gauge({ name: "listen_connected", help: "1 while the LISTEN connection is up", registers: [registry] }),
    listenReconnects: new Counter({
      name: "listen_reconnects_total",
      help: "LISTEN connections re-established after a loss",
      registers: [registry],
    }),
    dbInUse: new Gauge({ name: "db_pool_in_use", help: "Pool connections serving a transaction or statement", registers: [registry] }),
    dbIdle: new Gauge({ name: "db_pool_idle", help: "Pool connections free", registers: [registry] }),
    dbWaiting: new Gauge({ name: "db_pool_waiting", help: "Transactions or statements waiting for a connection", registers: [registry] }),
    rateLimited: new Counter({
      name: "rate_limit_rejections_total",
      help: "Requests refused by a rate limit, by budget",
      labelNames: ["budget"] as const,
      registers: [registry],
    }),
    outboxDepth: new Gauge({
      name: "outbox_depth",
      help: "Mail waiting to be sent, retries included (read at each scrape)",
      registers: [registry],
      async collect() {
        if (outboxDepth)
          this.set(
            await outboxDepth().then(
              (depth) => depth.waiting,
              () => Number.NaN,
            ),
          );
      },
    }),
    outboxSetAside: new Gauge({
      name: "outbox_set_aside",
      help: "Mail set aside after MAIL_RETRY_FOR of failures, waiting for an operator to queue it again (read at each scrape)",
      registers: [registry],
      async collect() {
        if (outboxDepth)
          this.set(
            await outboxDepth().then(
              (depth) => depth.setAside,
              () => Number.NaN,
            ),
          );
      },
    }),
    rateLimitStoreUp: new Gauge({
      name: "rate_limit_store_up",
      help: "1 while the shared rate-limit store (Redis) answers, 0 while budgets are kept per instance; absent without REDIS_URL",
      registers: [registry],
    }),
    outboxFailures: new Counter({
      name: "outbox_send_failures_total",
      help: "Mail the transport refused (each attempt)",
      registers: [registry],
    }),
    jobFailures: new Counter({
      name: "billing_job_failures_total",
      help: "Billing jobs (seat counts, cancellations) Stripe refused or could not be reached for (each attempt)",
      registers: [registry],
    }),
    /** Tracks the database pool: call around each transaction or reserved statement. */
    poolOf(size: number) {
      let inFlight = 0;
      const update = () => {
        metrics.dbInUse.set(Math.min(inFlight, size));
        metrics.dbIdle.set(Math.max(0, size - inFlight));
        metrics.dbWaiting.set(Math.max(0, inFlight - size));
      };
      update();
      return {
        started: () => {
          inFlight++;
          update();
        },
        ended: () => {
          inFlight--;
          update();
        },
      };
    },
  };
  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;
