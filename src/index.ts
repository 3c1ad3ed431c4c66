import { createApp } from "./app.ts";
import { type Config, ConfigError, loadConfig } from "./config/env.ts";
import { createDatabase, type Database } from "./db/client.ts";
import { runMigrations } from "./db/migrate.ts";
import { createLogger, type Logger } from "./lib/logger.ts";
import type { PasswordHasher } from "./lib/passwords.ts";
import { createSessionGuard } from "./modules/auth/session-guard.ts";

export type ServerOptions = {
  config: Config;
  logger?: Logger;
  /** A database to share (tests hand one embedded database to several servers). */
  database?: Database;
  passwords?: PasswordHasher;
};

export type RunningServer = {
  url: URL;
  port: number;
  database: Database;
  /** Stops accepting, lets in-flight requests finish (bounded), then releases everything. */
  stop(): Promise<void>;
};

/** Builds and starts one API instance: database, migrations, app and the Bun server. */
export async function startServer({ config, logger = createLogger(config.LOG_LEVEL), database, passwords }: ServerOptions) {
  const ownsDatabase = !database;
  const db = database ?? (await createDatabase(config, logger));
  await runMigrations(db, logger);

  const guard = createSessionGuard(db.db);
  const app = createApp({ config, db: db.db, logger, guard, passwords });

  const server = Bun.serve({
    port: config.PORT,
    fetch: (request, bunServer) => app.fetch(request, bunServer),
  });
  const port = server.port ?? config.PORT;
  logger.info(`listening on http://localhost:${port} (docs at /docs)`);

  return {
    url: new URL(`http://127.0.0.1:${port}`),
    port,
    database: db,
    async stop() {
      await server.stop();
      if (ownsDatabase) await db.close();
    },
  } satisfies RunningServer;
}

async function main() {
  let config: Config;
  let warnings: string[];
  try {
    ({ config, warnings } = loadConfig(process.env));
  } catch (error) {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  }
  const logger = createLogger(config.LOG_LEVEL);
  for (const warning of warnings) logger.warn(warning);
  await startServer({ config, logger });
}

if (import.meta.main) await main();
