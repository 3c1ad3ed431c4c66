import { type AnyColumn, type SQL, sql } from "drizzle-orm";
import type { TimeKey } from "../lib/cursor.ts";
import type { Db, Tx } from "./client.ts";

/** Rows of a hand-written statement: Bun's client returns them as the result itself, PGlite as `rows`. */
export async function queryRows<T>(executor: Db | Tx, query: SQL): Promise<T[]> {
  const result = (await executor.execute(query)) as unknown as T[] | { rows: T[] };
  return Array.isArray(result) ? result : result.rows;
}

/** `column` holds `email` in any letter case (emails are compared case-insensitively; see users_email_lower_key). */
export const sameEmail = (column: AnyColumn, email: string): SQL => sql`lower(${column}) = ${email.toLowerCase()}`;

/** The keyset condition for pages ordered by (timestamp, uuid): rows strictly after `key`. */
export const afterTimeKey = (at: AnyColumn, id: AnyColumn, key: TimeKey | undefined): SQL | undefined =>
  key ? sql`(${at}, ${id}) > (${key.at.toISOString()}::timestamptz, ${key.id}::uuid)` : undefined;
