import { setTimeout as sleep } from "node:timers/promises";
import { createApp } from "./app.ts";
import { embeddedSecrets, secretsFileFor } from "./config/embedded-secrets.ts";
import { type Config, ConfigError, DEFAULT_PGLITE_DATA_DIR, loadConfig } from "./config/env.ts";
import { createDatabase, type Database } from "./db/client.ts";
import { runMigrations } from "./db/migrate.ts";
import { createLogger, type Logger } from "./lib/logger.ts";
import { createPasswordHasher, type PasswordHasher } from "./lib/passwords.ts";
import { createRateLimits } from "./middleware/rate-limit.ts";
import { createSessionGuard, standingsOf } from "./modules/access/index.ts";
import { createRetention } from "./modules/activity/index.ts";
import { createOrganisationViews } from "./modules/organisations/index.ts";
import type { SpanExporter } from "@opentelemetry/sdk-trace";
import { observePool } from "./db/tenant.ts";
import { createMetrics, type Metrics } from "./lib/metrics.ts";
import { createOutboxSender, devMailbox, OUTBOX_CHANNEL, outboxDepth, smtpTransport } from "./modules/mail/index.ts";
import { startTracing } from "./tracing.ts";
import { CLOSE } from "./realtime/events.ts";
import type { SocketData } from "./realtime/socket.ts";
import type { HubDeps } from "./realtime/hub.ts";
import { createRealtime } from "./realtime/realtime.ts";
import { createServices } from "./services.ts";

export type ServerOptions = {
  config: Config;
  logger?: Logger;
  /** A database to share (tests hand one embedded database to several servers). */
  database?: Database;
  /** Defaults to bcrypt on Bun's worker threads; the login benchmark swaps in alternatives. */
  passwords?: PasswordHasher;
  /** Tests wrap the realtime rooms' reads to force a race deterministically. */
  wrapRealtimeReads?: (reads: HubDeps["reads"]) => HubDeps["reads"];
  /** Where spans go instead of OTLP (tests use the SDK's in-memory exporter). */
  spanExporter?: SpanExporter;
};

/**
 * A slow consumer is closed (and can resume with `since`) once this much is queued for it,
 * rather than Bun silently dropping messages past its 16 MB default.
 */
const SOCKET_BACKPRESSURE_LIMIT = 1024 * 1024;
const SOCKET_MAX_MESSAGE = 64 * 1024;

/** Builds and starts one API instance: database, migrations, realtime, app and the Bun server. */
export async function startServer({
  config,
  logger = createLogger(config.LOG_LEVEL),
  database,
  passwords,
  wrapRealtimeReads = (reads) => reads,
  spanExporter,
}: ServerOptions) {
  const tracing = await startTracing({ endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: config.OTEL_SERVICE_NAME, exporter: spanExporter });
  if (tracing) logger.info(`tracing: spans sent ${spanExporter ? "to the given exporter" : `over OTLP to ${config.OTEL_EXPORTER_OTLP_ENDPOINT}`}`);
  const ownsDatabase = !database;
  const db = database ?? (await createDatabase(config, logger));
  await runMigrations(db, logger);
  // Whether anyone can read the metrics: what only they need is not recorded otherwise.
  const metricsExposed = config.METRICS_PORT !== undefined || config.METRICS_TOKEN !== undefined;
  const metrics = createMetrics({ outboxDepth: () => outboxDepth(db.db), exposed: metricsExposed });
  observePool(db.db, metrics.poolOf(db.driver === "pg" ? config.DATABASE_POOL_SIZE : 1));

  const guard = createSessionGuard(db.db);
  const views = createOrganisationViews(db.db);
  const rateLimits = await createRateLimits(config, logger, metrics);
  const services = createServices({
    config,
    db: db.db,
    logger,
    guard,
    passwords: passwords ?? createPasswordHasher(config.BCRYPT_COST),
    attempts: rateLimits.accountAttempts,
    resetRequests: rateLimits.resetRequests,
    views,
  });
  const mail = createMail(db.db, config, logger, metrics);
  const app = createApp({
    logger,
    services,
    rateLimits,
    corsOrigins: config.CORS_ORIGINS,
    trustProxy: config.TRUST_PROXY,
    lifetimes: { accessToken: config.JWT_ACCESS_EXPIRES_IN, refreshToken: config.JWT_REFRESH_EXPIRES_IN, invite: config.INVITE_EXPIRES_IN },
    realtime: { publishedUpTo: (organisationId) => realtime.hub.publishedUpTo(organisationId) },
    devMailbox: mail.mailbox,
    metrics,
    // /metrics rides the public port only behind its token, and only when it has no port of its own.
    metricsToken: config.METRICS_PORT === undefined ? config.METRICS_TOKEN : undefined,
    metricsExposed,
  });

  let server: Bun.Server<SocketData> | undefined;
  const realtime = createRealtime({
    database: db,
    logger,
    guard,
    views,
    authenticate: (token) => services.auth.authenticate(token),
    publish: (topic, message) => {
      if (!server) return;
      server.publish(topic, message);
      // Every publish is on the fan-out path: count it only when someone can read the count.
      if (!metricsExposed) return;
      metrics.eventsPublished.inc();
      metrics.deliveries.inc(server.subscriberCount(topic));
      // The message's own `at` (its commit time) is its last key; PostgreSQL writes `"at" : "…"`.
      const at = Date.parse([...message.matchAll(/"at"\s*:\s*"([^"]+)"/g)].at(-1)?.[1] ?? "");
      if (!Number.isNaN(at)) metrics.publishLag.observe(Math.max(0, Date.now() - at) / 1000);
    },
    reads: wrapRealtimeReads({
      messagesAfter: (organisationId, afterId, limit) => services.activities.messagesAfter(organisationId, afterId, limit),
      standings: (organisationId, sessionIds) => standingsOf(db.db, organisationId, sessionIds),
    }),
    alsoListening: mail.sender ? [{ channel: OUTBOX_CHANNEL, onNotification: mail.sender.wake, onConnected: mail.sender.wake }] : [],
    observer: {
      connected: (again) => {
        metrics.listenConnected.set(1);
        if (again) metrics.listenReconnects.inc();
      },
      disconnected: () => metrics.listenConnected.set(0),
    },
  });
  const { hub, bus } = realtime;
  await bus.start();
  mail.sender?.start();
  const retention = config.ACTIVITY_RETENTION_DAYS ? createRetention(db.db, logger, { days: config.ACTIVITY_RETENTION_DAYS }) : undefined;
  retention?.start();

  server = Bun.serve({
    port: config.PORT,
    fetch: (request, bunServer) => app.fetch(request, bunServer),
    websocket: {
      data: {} as SocketData,
      open: (socket) => {
        metrics.socketsOpen.inc();
        hub.join(socket);
      },
      message: (socket, raw) => hub.receive(socket, raw),
      close: (socket, code) => {
        metrics.socketsOpen.dec();
        metrics.socketsClosed.inc({ code: String(code) });
        hub.leave(socket);
      },
      backpressureLimit: SOCKET_BACKPRESSURE_LIMIT,
      closeOnBackpressureLimit: true,
      maxPayloadLength: SOCKET_MAX_MESSAGE,
    },
  });
  const port = server.port ?? config.PORT;
  logger.info(`listening on http://localhost:${port} (docs at /docs)`);
  const metricsServer = config.METRICS_PORT === undefined ? undefined : serveMetrics(metrics, config.METRICS_PORT);
  if (metricsServer) logger.info(`metrics on http://localhost:${metricsServer.port}/metrics`);

  let stopping: Promise<void> | undefined;
  return {
    url: new URL(`http://127.0.0.1:${port}`),
    port,
    database: db,
    hub,
    bus,
    mail,
    metrics,
    metricsPort: metricsServer?.port,
    retention,
    /**
     * Graceful: stop accepting, tell sockets to go elsewhere (1001), let in-flight requests
     * finish within SHUTDOWN_TIMEOUT_MS, then release the LISTEN connection and the pool.
     */
    stop: () =>
      (stopping ??= (async () => {
        const running = server;
        if (!running) return;
        const drained = running.stop();
        hub.closeAll(CLOSE.goingAway, "Server shutting down");
        await Promise.race([drained, sleep(config.SHUTDOWN_TIMEOUT_MS)]);
        await running.stop(true);
        await mail.sender?.stop();
        await retention?.stop();
        await bus.stop();
        rateLimits.close();
        await metricsServer?.stop(true);
        await tracing?.shutdown();
        if (ownsDatabase) await db.close();
        logger.info("stopped");
      })()),
  };
}

export type RunningServer = Awaited<ReturnType<typeof startServer>>;

/**
 * Mail leaves through SMTP when SMTP_URL is set; in development without it, into the dev
 * mailbox (GET /dev/mailbox). In production without SMTP it waits in the outbox — queued, not
 * lost — until an instance with SMTP_URL starts.
 */
function createMail(db: Database["db"], config: Config, logger: Logger, metrics: Metrics) {
  const mailbox = !config.SMTP_URL && config.NODE_ENV !== "production" ? devMailbox() : undefined;
  const transport = config.SMTP_URL ? smtpTransport(config.SMTP_URL, config.MAIL_FROM) : mailbox;
  if (!transport) logger.warn("mail: SMTP_URL is not set; emails wait in the outbox until it is");
  else logger.info(`mail: sent through ${transport.name}`);
  return { mailbox, sender: transport ? createOutboxSender({ db, transport, logger, onFailure: () => metrics.outboxFailures.inc() }) : undefined };
}

/** /metrics on a port of its own: reachable by whoever can reach that port, so never the public one. */
function serveMetrics(metrics: Metrics, port: number) {
  return Bun.serve({
    port,
    fetch: async (request) =>
      new URL(request.url).pathname === "/metrics"
        ? new Response(await metrics.registry.metrics(), { headers: { "content-type": metrics.registry.contentType } })
        : new Response("not found", { status: 404 }),
  });
}

/**
 * `bun --hot` re-runs this file in the same process on every edit. What must outlive a reload
 * lives here: the running instance (stopped before its successor starts, so the embedded
 * database is never opened twice), the development secrets generated for this process (so a
 * reload does not sign everyone out), and whether the signal handlers are installed.
 */
type HotState = { running?: RunningServer; generatedSecrets?: Record<string, string>; signalsInstalled?: boolean };
const hot = ((globalThis as { __saasHotState?: HotState }).__saasHotState ??= {});

async function main() {
  let loaded: ReturnType<typeof loadConfig>;
  let keptSecrets: Record<string, string | undefined> = {};
  try {
    const env = { ...process.env, ...hot.generatedSecrets };
    if (!env.DATABASE_URL) keptSecrets = embeddedSecrets(env.PGLITE_DATA_DIR || DEFAULT_PGLITE_DATA_DIR, env);
    loaded = loadConfig({ ...env, ...keptSecrets });
  } catch (error) {
    exitWith(error);
  }
  const { config, warnings } = loaded;
  const logger = createLogger(config.LOG_LEVEL);
  for (const warning of warnings) logger.warn(warning);
  const kept = Object.keys(keptSecrets);
  if (kept.length > 0) logger.info(`${kept.join(" and ")}: kept in ${secretsFileFor(config.PGLITE_DATA_DIR)} beside the embedded database`);
  hot.generatedSecrets ??= Object.fromEntries(
    (["JWT_ACCESS_SECRET", "JWT_REFRESH_SECRET"] as const).filter((key) => !process.env[key]).map((key) => [key, config[key]]),
  );

  await hot.running?.stop();
  hot.running = await startServer({ config, logger }).catch(exitWith);

  if (hot.signalsInstalled) return;
  hot.signalsInstalled = true;
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.on(signal, async () => {
      logger.info(`${signal} received; shutting down`);
      await hot.running?.stop();
      process.exit(0);
    });
  }
}

/** A start-up failure a user can fix gets one line saying how, not a stack trace. */
function exitWith(error: unknown): never {
  const { code, path } = error as NodeJS.ErrnoException;
  if (error instanceof ConfigError) console.error(error.message);
  else if ((code === "EACCES" || code === "EPERM" || code === "EROFS") && path) {
    console.error(`cannot write ${path} (${code}): mount a writable volume there or set DATABASE_URL to use PostgreSQL`);
  } else console.error(error);
  process.exit(1);
}

if (import.meta.main) await main();
