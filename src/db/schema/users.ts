import { sql } from "drizzle-orm";
import { pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
import { createdAt, id } from "./columns.ts";

export const users = pgTable(
  "users",
  {
    id: id(),
    name: text().notNull(),
    // Stored trimmed and lower-cased by the API; the unique index on lower() holds even for
    // rows written some other way.
    email: text().notNull(),
    passwordHash: text().notNull(),
    createdAt: createdAt(),
  },
  (table) => [uniqueIndex("users_email_lower_key").on(sql`lower(${table.email})`)],
);
