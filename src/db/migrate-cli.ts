// `bun run db:migrate`: applies migrations to DATABASE_URL, or to the embedded database.
import { loadConfig } from "../config/env.ts";
import { createLogger } from "../lib/logger.ts";
import { createDatabase } from "./client.ts";
import { runMigrations } from "./migrate.ts";

const { config } = loadConfig(process.env);
const logger = createLogger(config.LOG_LEVEL);
const database = await createDatabase(config, logger);
try {
  await runMigrations(database, logger);
} finally {
  await database.close();
}
