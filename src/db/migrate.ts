import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import type { Logger } from "../lib/logger.ts";
import type { Database } from "./client.ts";

const MIGRATIONS_FOLDER = fileURLToPath(new URL("../../drizzle", import.meta.url));

/**
 * A server that is not there yet, rather than one that said no: in compose or Kubernetes the
 * API often starts before PostgreSQL accepts connections, and should wait for it, not crash.
 */
const NOT_YET_REACHABLE = new Set([
  "ERR_POSTGRES_CONNECTION_REFUSED",
  "ERR_POSTGRES_CONNECTION_CLOSED",
  "ERR_POSTGRES_CONNECTION_TIMEOUT",
  "57P03", // the database system is starting up
]);

/**
 * Brings the schema up to date; safe to call from several instances at once. Waits up to
 * `waitMs` for a server that cannot be reached yet. `first` runs once the server answers and
 * before anything is migrated (the role check: a refused role must not have created tables).
 */
export async function runMigrations(
  database: Database,
  logger: Logger,
  { waitMs = 60_000, first }: { waitMs?: number; first?: () => Promise<void> } = {},
): Promise<void> {
  const started = performance.now();
  for (let attempt = 1; ; attempt++) {
    try {
      await first?.();
      await database.migrate(MIGRATIONS_FOLDER);
      break;
    } catch (error) {
      const code = (error as { code?: string; cause?: { code?: string } }).code ?? (error as { cause?: { code?: string } }).cause?.code;
      if (!code || !NOT_YET_REACHABLE.has(code) || performance.now() - started > waitMs) throw error;
      if (attempt === 1) logger.warn(`database not reachable yet (${code}); waiting up to ${Math.round(waitMs / 1000)} s for it`);
      await sleep(1000);
    }
  }
  logger.info(`migrations applied in ${Math.round(performance.now() - started)} ms`);
}
