import { sql } from "drizzle-orm";
import { timestamp, uuid } from "drizzle-orm/pg-core";

export const id = () => uuid().primaryKey().default(sql`gen_random_uuid()`);

// Millisecond precision: a JavaScript Date round-trips it exactly, so timestamps can sit in
// keyset cursors without losing the microseconds PostgreSQL would otherwise keep.
export const timestampTz = () => timestamp({ withTimezone: true, precision: 3 });

export const createdAt = () => timestampTz().notNull().defaultNow();
