import { randomBytes } from "node:crypto";
import pg from "pg";
import { loadConfig } from "../../src/config/env.ts";
import { createDatabase, type Database } from "../../src/db/client.ts";
import { runMigrations } from "../../src/db/migrate.ts";
import { createLogger } from "../../src/lib/logger.ts";

/**
 * The run's database. With DATABASE_URL set, a brand-new database on that server (never the
 * one the URL names, so a developer's data is safe), dropped when the run ends; without it,
 * an in-memory embedded PostgreSQL.
 */
export type TestDatabase = { url: string | undefined; database: Database; drop(): Promise<void> };

const silent = createLogger("silent");
const TEST_OWNER = "saas_test_owner";

/** A brand-new, empty database beside the run's (nothing migrated): for tests of the migrations themselves. */
export async function createScratchDatabase(): Promise<TestDatabase> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    const { config } = loadConfig({ NODE_ENV: "test", PGLITE_DATA_DIR: "memory://" });
    const database = await createDatabase(config, silent);
    return { url: undefined, database, drop: () => database.close() };
  }

  const name = `saas_test_${Date.now()}_${randomBytes(3).toString("hex")}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  // The suite runs as production should: an ordinary role that owns its database. Given a
  // superuser (a developer's postgres), it makes one, as CI and the bench do; given an ordinary
  // role, it uses that.
  const { rows } = await admin.query<{ superuser: boolean }>("select rolsuper as superuser from pg_roles where rolname = current_user");
  if (rows[0]?.superuser) {
    const password = randomBytes(12).toString("hex");
    await admin.query(`do $$ begin create role ${TEST_OWNER} login createrole; exception when duplicate_object then null; end $$`);
    await admin.query(`alter role ${TEST_OWNER} password '${password}'`);
    await admin.query(`create database ${name} owner ${TEST_OWNER}`);
    url.username = TEST_OWNER;
    url.password = password;
  } else {
    await admin.query(`create database ${name}`);
  }
  await admin.end();

  const { config } = loadConfig({ NODE_ENV: "test", DATABASE_URL: url.toString(), DATABASE_POOL_SIZE: "5" });
  const database = await createDatabase(config, silent);
  return {
    url: url.toString(),
    database,
    async drop() {
      await database.close();
      const cleaner = new pg.Client({ connectionString: serverUrl });
      await cleaner.connect();
      await cleaner.query(`drop database if exists ${name} with (force)`);
      await cleaner.end();
    },
  };
}

async function create(): Promise<TestDatabase> {
  const created = await createScratchDatabase();
  await runMigrations(created.database, silent);
  return created;
}

let current: Promise<TestDatabase> | undefined;

export const testDatabase = (): Promise<TestDatabase> => (current ??= create());

/** Resolves to the database's own error message (Drizzle wraps it as the cause), or "no error". */
export const databaseError = (attempt: Promise<unknown>): Promise<string> =>
  attempt.then(
    () => "no error",
    (error: Error) => String((error.cause as Error | undefined)?.message ?? error.message),
  );
