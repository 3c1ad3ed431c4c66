import { sql } from "drizzle-orm";
import { ConfigError } from "../config/env.ts";
import type { Logger } from "../lib/logger.ts";
import type { Database } from "./client.ts";
import { queryRows } from "./sql.ts";

/**
 * Row-level security is the second lock on every tenant's door, and PostgreSQL lets a
 * superuser, or a role with BYPASSRLS, walk past it without a word. Production refuses to start
 * as one; development says so once. The embedded database has one user, its superuser, and no
 * other client: there the tenant role (which every tenant transaction switches to) is what RLS
 * binds, and nothing is reachable from outside the process.
 */
export async function checkDatabaseRole(database: Database, production: boolean, logger: Logger): Promise<void> {
  if (database.driver !== "pg") return;
  const [role] = await queryRows<{ name: string; superuser: boolean; bypassrls: boolean }>(
    database.db,
    sql`select rolname as name, rolsuper as superuser, rolbypassrls as bypassrls from pg_roles where rolname = current_user`,
  );
  if (!role || (!role.superuser && !role.bypassrls)) return;
  const what = role.superuser ? "a superuser" : "a role with BYPASSRLS";
  const problem = `DATABASE_URL connects as ${role.name}, ${what}: row-level security does not bind it`;
  const fix =
    "connect as an ordinary role that owns the database (CREATE ROLE saas LOGIN; CREATE DATABASE saas OWNER saas) — see docs/deploy.md, The database role";
  if (production) throw new ConfigError(`${problem}. Refusing to start in production; ${fix}`);
  logger.warn(`${problem}; fine for development, refused in production: ${fix}`);
}
