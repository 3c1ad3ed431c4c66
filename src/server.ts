import { setTimeout as sleep } from "node:timers/promises";
import type { SpanExporter } from "@opentelemetry/sdk-trace";
import { createApp } from "./app.ts";
import type { Config } from "./config/env.ts";
import { createDatabase, type Database, type NotificationHandler } from "./db/client.ts";
import { runMigrations } from "./db/migrate.ts";
import { CHANNELS } from "./db/notifications.ts";
import { checkDatabaseRole } from "./db/role-safety.ts";
import { observePool } from "./db/tenant.ts";
import { createLogger, type Logger } from "./lib/logger.ts";
import { createMetrics, metricsAreExposed } from "./lib/metrics.ts";
import { serveMetrics } from "./lib/metrics-server.ts";
import { createPasswordHasher, type PasswordHasher } from "./lib/passwords.ts";
import { createPublicUrl } from "./lib/public-url.ts";
import { createRateLimits } from "./middleware/rate-limit.ts";
import { createFeedCache, createRetention } from "./modules/activity/index.ts";
import { createAdmin } from "./modules/admin/index.ts";
import { createBilling } from "./modules/billing/index.ts";
import { createOrganisationExport } from "./modules/data-export/index.ts";
import { createMailDelivery, outboxDepth } from "./modules/mail/index.ts";
import { createOrganisationCache } from "./modules/organisations/index.ts";
import { createSessionGuard, sessionStatesOf } from "./modules/sessions/index.ts";
import { CLOSE } from "./realtime/events.ts";
import type { HubDeps } from "./realtime/hub.ts";
import { createRealtime } from "./realtime/realtime.ts";
import { createFanOut, socketHandlers } from "./realtime/websocket.ts";
import { createServices } from "./services.ts";
import { startTracing } from "./tracing-sdk.ts";

export type ServerOptions = {
  config: Config;
  logger?: Logger;
  /** A database to share (tests hand one embedded database to several servers). */
  database?: Database;
  /** Defaults to bcrypt on Bun's worker threads; the login benchmark swaps in alternatives. */
  passwords?: PasswordHasher;
  /** Tests wrap the realtime rooms' reads to force a race deterministically. */
  wrapRealtimeReads?: (reads: HubDeps["reads"]) => HubDeps["reads"];
  /** Tests slow the notifications down, as a loaded network would. */
  wrapNotifications?: (deliver: NotificationHandler) => NotificationHandler;
  /** Where spans go instead of OTLP (tests use the SDK's in-memory exporter). */
  spanExporter?: SpanExporter;
};

/** Builds one API instance in dependency order — database, caches, services, realtime, app — then serves it. */
export async function startServer({
  config,
  logger = createLogger(config.LOG_LEVEL),
  database: shared,
  passwords,
  wrapRealtimeReads = (reads) => reads,
  wrapNotifications = (deliver) => deliver,
  spanExporter,
}: ServerOptions) {
  const tracing = await startTracing({
    endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT,
    serviceName: config.OTEL_SERVICE_NAME,
    exporter: spanExporter,
  });
  if (tracing)
    logger.info(`tracing: spans sent ${spanExporter ? "to the given exporter" : `over OTLP to ${config.OTEL_EXPORTER_OTLP_ENDPOINT}`}`);
  const database = shared ?? (await createDatabase(config, logger));
  await runMigrations(database, logger, { first: () => checkDatabaseRole(database, config.NODE_ENV === "production", logger) });
  const db = database.handle();

  const metrics = createMetrics({ outboxDepth: () => outboxDepth(db), exposed: metricsAreExposed(config) });
  observePool(db, metrics.poolOf(database.driver === "pg" ? config.DATABASE_POOL_SIZE : 1));
  const guard = createSessionGuard(db);
  const organisationCache = createOrganisationCache(db);
  const feedCache = createFeedCache({ retentionDays: config.ACTIVITY_RETENTION_DAYS });
  const rateLimits = await createRateLimits(config, logger, metrics);
  const links = createPublicUrl(config.APP_URL);
  const billing = createBilling({ db, config, links, logger, onJobFailure: () => metrics.jobFailures.inc() });
  const exports = createOrganisationExport(db, logger);
  const admin = createAdmin({ db, config, logger, exports });
  const services = createServices({
    billing,
    admin,
    exports,
    db,
    config,
    links,
    logger,
    guard,
    organisationCache,
    feedCache,
    passwords: passwords ?? createPasswordHasher(config.BCRYPT_COST),
    attempts: rateLimits.accountAttempts,
    resetRequests: rateLimits.resetRequests,
    inviteEmails: rateLimits.inviteEmails,
    organisationInvites: rateLimits.organisationInvites,
  });
  const mail = createMailDelivery(db, config, logger, metrics, {
    password_reset: services.passwordReset.resetMailFor,
    email_verification: services.emailVerification.verificationMailFor,
  });

  const fanOut = createFanOut(metrics, { counted: metricsAreExposed(config) });
  const { hub, bus } = createRealtime({
    database: { ...database, listen: (channels, deliver) => database.listen(channels, wrapNotifications(deliver)) },
    db,
    logger,
    sessionCache: guard,
    organisationCaches: [organisationCache, feedCache],
    authenticate: (token) => services.auth.authenticateMember(token),
    publish: fanOut.publish,
    reads: wrapRealtimeReads({
      messagesAfter: (organisationId, afterId, limit) => services.activities.messagesAfter(organisationId, afterId, limit),
      sessionStates: (organisationId, sessionIds) => sessionStatesOf(db, organisationId, sessionIds),
    }),
    alsoListening: [
      ...(mail.sender ? [{ channel: CHANNELS.outbox, onNotification: mail.sender.wake, onConnected: mail.sender.wake }] : []),
      ...(billing.jobs ? [{ channel: CHANNELS.jobs, onNotification: billing.jobs.wake, onConnected: billing.jobs.wake }] : []),
    ],
    observer: {
      connected: (again) => {
        metrics.listenConnected.set(1);
        if (again) metrics.listenReconnects.inc();
      },
      disconnected: () => metrics.listenConnected.set(0),
    },
  });
  const app = createApp({ config, logger, services, rateLimits, realtime: hub, devMailbox: mail.mailbox, metrics });

  await bus.start();
  mail.sender?.start();
  billing.jobs?.start();
  billing.graceSweep?.start();
  admin.compSweep.start();
  const retention = config.ACTIVITY_RETENTION_DAYS ? createRetention(db, logger, { days: config.ACTIVITY_RETENTION_DAYS }) : undefined;
  retention?.start();
  const server = Bun.serve({
    port: config.PORT,
    fetch: (request, bunServer) => app.fetch(request, bunServer),
    websocket: socketHandlers(hub, metrics),
  });
  fanOut.bind(server);
  const port = server.port ?? config.PORT;
  links.listening(port);
  logger.info(`listening on http://localhost:${port} (docs at /docs)`);
  const metricsServer = config.METRICS_PORT === undefined ? undefined : serveMetrics(metrics, config.METRICS_PORT);
  if (metricsServer) logger.info(`metrics on http://localhost:${metricsServer.port}/metrics`);

  let stopping: Promise<void> | undefined;
  return {
    url: new URL(`http://127.0.0.1:${port}`),
    port,
    database,
    hub,
    bus,
    mail,
    billing,
    admin,
    metrics,
    metricsPort: metricsServer?.port,
    retention,
    /**
     * Graceful: stop accepting, tell sockets to go elsewhere (1001), let in-flight requests
     * finish within SHUTDOWN_TIMEOUT_MS, then release the LISTEN connection and the pool.
     */
    stop: () =>
      (stopping ??= (async () => {
        const drained = server.stop();
        hub.closeAll(CLOSE.goingAway, "Server shutting down");
        await Promise.race([drained, sleep(config.SHUTDOWN_TIMEOUT_MS)]);
        await server.stop(true);
        await mail.sender?.stop();
        await billing.jobs?.stop();
        await billing.graceSweep?.stop();
        await admin.compSweep.stop();
        await retention?.stop();
        await bus.stop();
        rateLimits.close();
        await metricsServer?.stop(true);
        await tracing?.shutdown();
        if (!shared) await database.close();
        logger.info("stopped");
      })()),
  };
}

export type RunningServer = Awaited<ReturnType<typeof startServer>>;
