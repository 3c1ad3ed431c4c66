// The process: configuration from the environment, the server, signals. `bun src/main.ts`.
import { embeddedSecrets, secretsFileFor } from "./config/embedded-secrets.ts";
import { ConfigError, DEFAULT_PGLITE_DATA_DIR, loadConfig } from "./config/env.ts";
import { createLogger } from "./lib/logger.ts";
import { type RunningServer, startServer } from "./server.ts";

/**
 * `bun --hot` re-runs this file in the same process on every edit. What must outlive a reload
 * lives here: the running instance (stopped before its successor starts, so the embedded
 * database is never opened twice), the development secrets generated for this process (so a
 * reload does not sign everyone out), and whether the signal handlers are installed.
 */
type HotState = { running?: RunningServer; generatedSecrets?: Record<string, string>; signalsInstalled?: boolean };
const kept = globalThis as { __saasHotState?: HotState };
kept.__saasHotState ??= {};
const hot = kept.__saasHotState;

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
  const logger = createLogger(config.LOG_LEVEL, undefined, { pretty: config.NODE_ENV === "development" && process.stdout.isTTY === true });
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

await main();
