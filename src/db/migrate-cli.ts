// `bun run db:migrate`: applies migrations to DATABASE_URL, or to the embedded database.
import { ConfigError, loadConfig } from "../config/env.ts";
import { createLogger } from "../lib/logger.ts";
import { createDatabase } from "./client.ts";
import { runMigrations } from "./migrate.ts";

try {
  const { config } = loadConfig(process.env);
  const logger = createLogger(config.LOG_LEVEL);
  const database = await createDatabase(config, logger);
  try {
    await runMigrations(database, logger);
  } finally {
    await database.close();
  }
} catch (error) {
  // A refusal a user can act on is one line saying how, not a stack trace.
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
}
