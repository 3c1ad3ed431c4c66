import { sql } from "drizzle-orm";
import { queryRows } from "../../src/db/sql.ts";
import { withSystem } from "../../src/db/tenant.ts";
import { testDatabase } from "./database.ts";

const TABLES = ["organisations", "users", "memberships", "invites", "sessions", "refresh_tokens", "activities"] as const;

/** Row counts of every table, to show a failed request changed nothing. */
export async function countRows(): Promise<Record<(typeof TABLES)[number], number>> {
  const { db } = (await testDatabase()).database;
  const counts = await withSystem(db, (tx) =>
    queryRows<Record<string, string | number>>(
      tx,
      sql.raw(`select ${TABLES.map((table) => `(select count(*) from ${table}) as ${table}`).join(", ")}`),
    ),
  );
  return Object.fromEntries(TABLES.map((table) => [table, Number(counts[0]?.[table])])) as never;
}

/** Runs `query` as the system, for assertions about what the database holds. */
export async function inDatabase<T>(query: Parameters<typeof withSystem<T>>[1]): Promise<T> {
  return withSystem((await testDatabase()).database.db, query);
}
