import { afterAll, beforeAll } from "bun:test";
import { loadConfig } from "../../src/config/env.ts";
import { createLogger, type Logger } from "../../src/lib/logger.ts";
import { type ServerOptions, startServer } from "../../src/server.ts";
import { createClient } from "./client.ts";
import { testDatabase } from "./database.ts";

export const TEST_SECRETS = {
  JWT_ACCESS_SECRET: "test-access-secret-that-is-long-enough-0123456789",
  JWT_REFRESH_SECRET: "test-refresh-secret-that-is-long-enough-0123456789",
};

/** Environment of a test instance: fast hashing, limits out of the way unless a test sets them. */
export const testEnv = (overrides: Record<string, string> = {}) => ({
  NODE_ENV: "test",
  PORT: "0",
  LOG_LEVEL: "silent",
  BCRYPT_COST: "4",
  RATE_LIMIT_MAX: "1000000",
  RATE_LIMIT_AUTH_MAX: "1000000",
  RATE_LIMIT_ACCOUNT_MAX: "1000000",
  RESET_EMAILS_PER_HOUR: "1000000",
  ...TEST_SECRETS,
  ...overrides,
});

export type TestServer = Awaited<ReturnType<typeof startTestServer>>;

/**
 * A real API instance on a free port. On PostgreSQL each instance has its own pool and LISTEN
 * connection, as separate processes would; the embedded database is one per run and shared.
 */
export async function startTestServer(
  overrides: Record<string, string> = {},
  logger?: Logger,
  options: Pick<ServerOptions, "wrapRealtimeReads" | "wrapNotifications" | "spanExporter" | "passwords"> = {},
) {
  const { url, database } = await testDatabase();
  const { config } = loadConfig(testEnv({ ...(url ? { DATABASE_URL: url } : {}), ...overrides }));
  const server = await startServer({
    config,
    logger: logger ?? createLogger(config.LOG_LEVEL),
    database: url ? undefined : database,
    ...options,
  });
  return { ...server, config, base: server.url.toString().replace(/\/$/, "") };
}

/**
 * One instance for the test file: started before its tests, stopped after them. `api` talks to
 * it; `server()` is the instance itself (its base URL, bus, hub).
 */
export function useTestServer(overrides: Record<string, string> = {}, logger?: Logger) {
  let started: TestServer | undefined;
  beforeAll(async () => {
    started = await startTestServer(overrides, logger);
  });
  afterAll(() => started?.stop());
  const server = (): TestServer => {
    if (!started) throw new Error("the test server starts in beforeAll; use it inside a test or hook");
    return started;
  };
  return { api: createClient(() => server().base), server };
}

/**
 * Two instances on one database for the test file, as two processes of one deployment: started
 * before its tests, stopped after them. `one()` and `two()` are the instances, `viaOne` and
 * `viaTwo` talk to them.
 */
export function useTwoTestServers() {
  const instances: TestServer[] = [];
  beforeAll(async () => {
    instances.push(...(await Promise.all([startTestServer(), startTestServer()])));
  });
  afterAll(() => Promise.all(instances.map((instance) => instance.stop())));
  const instance = (index: number) => (): TestServer => {
    const started = instances[index];
    if (!started) throw new Error("the test servers start in beforeAll; use them inside a test or hook");
    return started;
  };
  const one = instance(0);
  const two = instance(1);
  return {
    one,
    two,
    viaOne: createClient(() => one().base),
    viaTwo: createClient(() => two().base),
    /** Stops instance two (if a test has not) and puts a fresh one in its place. */
    async replaceTwo() {
      await two().stop();
      instances[1] = await startTestServer();
    },
  };
}
