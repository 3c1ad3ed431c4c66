import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { SQL } from "bun";
import type { ExtractTablesWithRelations } from "drizzle-orm";
import { drizzle as drizzleBunSql } from "drizzle-orm/bun-sql";
import { migrate as migrateBunSql } from "drizzle-orm/bun-sql/migrator";
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import pg from "pg";
import type { Config } from "../config/env.ts";
import type { Logger } from "../lib/logger.ts";
import { lockDataDir } from "./data-dir-lock.ts";
import { registerFreshConnection } from "./fresh-connection.ts";
import * as schema from "./schema/index.ts";

export type Schema = typeof schema;
/** Drizzle over either engine; `$client` is the driver underneath (see statementInOrg in tenant.ts). */
export type Db = PgDatabase<PgQueryResultHKT, Schema> & { $client: SQL | PGlite };
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;

/** A LISTEN session. `lost` settles when the connection drops (never, for the embedded one). */
export type Subscription = {
  backendPid: number | null;
  /** This session among `listeners()`. */
  listenerId: number;
  /** Every LISTEN session on the database now, this one included, by listenerId. */
  listeners(): Promise<number[]>;
  /** Sends a notification from this session (an acknowledgement: db/notify.ts). */
  notify(channel: string, payload: string): Promise<void>;
  lost: Promise<Error>;
  close(): Promise<void>;
};
export type NotificationHandler = (channel: string, payload: string) => void;

/** The one object above the driver: same schema, same queries, either engine. */
export type Database = {
  driver: "pg" | "pglite";
  db: Db;
  /**
   * A Drizzle handle of its own on the same connections. An API instance works through its own
   * handle, because what is registered per instance (the pool gauge, local notifications) is
   * keyed on it, and tests run several instances on one embedded database.
   */
  handle(): Db;
  /** Opens a dedicated connection that LISTENs on `channels`. */
  listen(channels: string[], onNotification: NotificationHandler): Promise<Subscription>;
  /** Applies the SQL migrations in `folder` that have not run yet. */
  migrate(folder: string): Promise<void>;
  close(): Promise<void>;
};

const options = { schema, casing: "snake_case" } as const;
const MIGRATION_LOCK_KEY = 727_001;
/**
 * Each LISTEN session holds this advisory lock, keyed by its own backend pid, for as long as it
 * lives: pg_locks then lists whoever hears notifications, and a session that dies leaves the
 * list with it. (PostgreSQL offers no view of another session's LISTENs.)
 */
const LISTENING_LOCK_CLASS = 727_002;

export async function createDatabase(config: Config, logger: Logger): Promise<Database> {
  return config.DATABASE_URL
    ? createServerDatabase(config.DATABASE_URL, config.DATABASE_POOL_SIZE, logger)
    : createEmbeddedDatabase(config.PGLITE_DATA_DIR, logger);
}

/**
 * PostgreSQL through Bun's built-in client: native protocol handling and pipelining, which
 * measured 1.6× node-postgres on the same reads (docs/performance.md). The LISTEN connection
 * stays on node-postgres, whose notification events Bun's client does not offer.
 */
function createServerDatabase(url: string, poolSize: number, logger: Logger): Database {
  const client = new SQL({ url, max: poolSize, idleTimeout: 60, connectionTimeout: 10 });
  const where = new URL(url);
  logger.info(`database: PostgreSQL at ${where.host}${where.pathname} (pool of ${poolSize})`);
  const fresh = () => new SQL({ url, max: 1, connectionTimeout: 10 });
  const handle = () => {
    const db = drizzleBunSql({ client, ...options }) as unknown as Db;
    registerFreshConnection(db, fresh);
    return db;
  };
  const db = handle();

  return {
    driver: "pg",
    db,
    handle,
    async listen(channels, onNotification) {
      const listener = new pg.Client({ connectionString: url, application_name: "saas-listener" });
      const lost = new Promise<Error>((resolve) => {
        listener.on("error", resolve);
        listener.on("end", () => resolve(new Error("LISTEN connection ended")));
      });
      listener.on("notification", (message) => onNotification(message.channel, message.payload ?? ""));
      try {
        await listener.connect();
        // A peer that vanishes without closing its connection (a host gone, a partition) holds
        // its listening lock until PostgreSQL's keepalives notice: seconds, not the default hours.
        await listener.query("set tcp_keepalives_idle = 10; set tcp_keepalives_interval = 5; set tcp_keepalives_count = 3");
        for (const channel of channels) await listener.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
        const { rows } = await listener.query<{ pid: number }>("select pg_backend_pid() as pid, pg_advisory_lock($1, pg_backend_pid())", [
          LISTENING_LOCK_CLASS,
        ]);
        const pid = rows[0]?.pid as number;
        return {
          backendPid: pid,
          listenerId: pid,
          // Through the pool: the LISTEN connection runs one query at a time.
          async listeners() {
            const rows = await client.unsafe(
              "select objid::text::int as pid from pg_locks where locktype = 'advisory' and classid = $1::int::oid and objsubid = 2 and granted",
              [LISTENING_LOCK_CLASS],
            );
            return (rows as Array<{ pid: number }>).map((row) => row.pid);
          },
          notify: async (channel, payload) => {
            await client.unsafe("select pg_notify($1, $2)", [channel, payload]);
          },
          lost,
          close: () => listener.end(),
        };
      } catch (error) {
        await listener.end().catch(() => {});
        throw error;
      }
    },
    async migrate(folder) {
      // Two instances starting together would otherwise race to apply the same migration: the
      // lock and the migrations share one reserved connection.
      const reserved = await client.reserve();
      try {
        await reserved`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
        await migrateBunSql(drizzleBunSql({ client: reserved as unknown as SQL, ...options }), { migrationsFolder: folder });
      } finally {
        await reserved`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`.catch(() => {});
        reserved.release();
      }
    },
    close: () => client.close(),
  };
}

async function createEmbeddedDatabase(dataDir: string, logger: Logger): Promise<Database> {
  const inMemory = dataDir.startsWith("memory://");
  if (!inMemory) mkdirSync(dataDir, { recursive: true });
  const release = inMemory ? () => {} : lockDataDir(dataDir);
  const client = await PGlite.create(dataDir).catch((error) => {
    release();
    throw error;
  });
  logger.info(`database: embedded PostgreSQL (PGlite) in ${inMemory ? "memory" : dataDir}`);
  const db = drizzlePglite(client, options) as unknown as Db;
  // The instances of one process (tests run several) listen on this one client.
  const listening = new Set<number>();
  let lastListenerId = 0;

  return {
    driver: "pglite",
    db,
    handle: () => drizzlePglite(client, options) as unknown as Db,
    async listen(channels, onNotification) {
      const unsubscribes = await Promise.all(
        channels.map((channel) => client.listen(channel, (payload) => onNotification(channel, payload))),
      );
      const listenerId = ++lastListenerId;
      listening.add(listenerId);
      return {
        backendPid: null,
        listenerId,
        listeners: async () => [...listening],
        notify: async (channel, payload) => {
          await client.query("select pg_notify($1, $2)", [channel, payload]);
        },
        lost: new Promise<Error>(() => {}),
        close: async () => {
          listening.delete(listenerId);
          await Promise.all(unsubscribes.map((unsubscribe) => unsubscribe()));
        },
      };
    },
    migrate: (folder) => migratePglite(drizzlePglite(client, options), { migrationsFolder: folder }),
    close: async () => {
      await client.close();
      release();
    },
  };
}
