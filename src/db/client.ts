import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import type { ExtractTablesWithRelations } from "drizzle-orm";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from "drizzle-orm/pg-core";
import { migrate as migratePg } from "drizzle-orm/node-postgres/migrator";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import pg from "pg";
import type { Config } from "../config/env.ts";
import type { Logger } from "../lib/logger.ts";
import * as schema from "./schema/index.ts";

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;

/** A LISTEN session. `lost` settles when the connection drops (never, for the embedded one). */
export type Subscription = { backendPid: number | null; lost: Promise<Error>; close(): Promise<void> };
export type NotificationHandler = (channel: string, payload: string) => void;

/** The one object above the driver: same schema, same queries, either engine. */
export type Database = {
  driver: "pg" | "pglite";
  db: Db;
  /** Opens a dedicated connection that LISTENs on `channels`. */
  listen(channels: string[], onNotification: NotificationHandler): Promise<Subscription>;
  /** Applies the SQL migrations in `folder` that have not run yet. */
  migrate(folder: string): Promise<void>;
  close(): Promise<void>;
};

const options = { schema, casing: "snake_case" } as const;
const MIGRATION_LOCK_KEY = 727_001;

export async function createDatabase(config: Config, logger: Logger): Promise<Database> {
  return config.DATABASE_URL
    ? createServerDatabase(config.DATABASE_URL, config.DATABASE_POOL_SIZE, logger)
    : createEmbeddedDatabase(config.PGLITE_DATA_DIR, logger);
}

function createServerDatabase(url: string, poolSize: number, logger: Logger): Database {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  // An idle client that dies (server restart, pg_terminate_backend) must not crash the process.
  pool.on("error", (error) => logger.warn("database pool client error", { error: error.message }));
  const where = new URL(url);
  logger.info(`database: PostgreSQL at ${where.host}${where.pathname} (pool of ${poolSize})`);

  return {
    driver: "pg",
    db: drizzlePg(pool, options) as unknown as Db,
    async listen(channels, onNotification) {
      const client = new pg.Client({ connectionString: url, application_name: "saas-listener" });
      const lost = new Promise<Error>((resolve) => {
        client.on("error", resolve);
        client.on("end", () => resolve(new Error("LISTEN connection ended")));
      });
      client.on("notification", (message) => onNotification(message.channel, message.payload ?? ""));
      try {
        await client.connect();
        for (const channel of channels) await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
        const { rows } = await client.query<{ pid: number }>("select pg_backend_pid() as pid");
        return { backendPid: rows[0]?.pid ?? null, lost, close: () => client.end() };
      } catch (error) {
        await client.end().catch(() => {});
        throw error;
      }
    },
    async migrate(folder) {
      // Two instances starting together would otherwise race to apply the same migration.
      const client = await pool.connect();
      try {
        await client.query("select pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
        await migratePg(drizzlePg(client, options), { migrationsFolder: folder });
      } finally {
        await client.query("select pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]).catch(() => {});
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

async function createEmbeddedDatabase(dataDir: string, logger: Logger): Promise<Database> {
  const inMemory = dataDir.startsWith("memory://");
  if (!inMemory) mkdirSync(dataDir, { recursive: true });
  const client = await PGlite.create(dataDir);
  logger.info(`database: embedded PostgreSQL (PGlite) in ${inMemory ? "memory" : dataDir}`);
  const db = drizzlePglite(client, options) as unknown as Db;

  return {
    driver: "pglite",
    db,
    async listen(channels, onNotification) {
      const unsubscribes = await Promise.all(
        channels.map((channel) => client.listen(channel, (payload) => onNotification(channel, payload))),
      );
      return {
        backendPid: null,
        lost: new Promise<Error>(() => {}),
        close: async () => {
          await Promise.all(unsubscribes.map((unsubscribe) => unsubscribe()));
        },
      };
    },
    migrate: (folder) => migratePglite(drizzlePglite(client, options), { migrationsFolder: folder }),
    close: () => client.close(),
  };
}
