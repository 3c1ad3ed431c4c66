import { fileURLToPath } from "node:url";
import type { Logger } from "../lib/logger.ts";
import type { Database } from "./client.ts";

const MIGRATIONS_FOLDER = fileURLToPath(new URL("../../drizzle", import.meta.url));

/** Brings the schema up to date; safe to call from several instances at once. */
export async function runMigrations(database: Database, logger: Logger): Promise<void> {
  const started = performance.now();
  await database.migrate(MIGRATIONS_FOLDER);
  logger.info(`migrations applied in ${Math.round(performance.now() - started)} ms`);
}
