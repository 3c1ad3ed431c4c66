import { sql } from "drizzle-orm";
import { customType, timestamp, uuid } from "drizzle-orm/pg-core";

export const id = () => uuid().primaryKey().default(sql`gen_random_uuid()`);

// Millisecond precision: a JavaScript Date round-trips it exactly, so timestamps can sit in
// keyset cursors without losing the microseconds PostgreSQL would otherwise keep.
export const timestampTz = () => timestamp({ withTimezone: true, precision: 3 });

export const createdAt = () => timestampTz().notNull().defaultNow();

/**
 * A jsonb column whose values reach the driver as objects, which each driver here (Bun's client,
 * node-postgres, PGlite) encodes as JSON exactly once. Drizzle's own jsonb stringifies first, and
 * Bun's client then encodes that string again: the row would hold a JSON *string*. Values are
 * objects or null — never a top-level array, which node-postgres would send as a PostgreSQL array.
 */
export const jsonObject = <T extends Record<string, unknown> | null>() =>
  customType<{ data: T; driverData: T }>({
    dataType: () => "jsonb",
    toDriver: (value) => value,
    fromDriver: (value) => (typeof value === "string" ? JSON.parse(value) : value),
  })();
