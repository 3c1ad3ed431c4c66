import { sql } from "drizzle-orm";
import { boolean, pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
import { createdAt, id, timestampTz } from "./columns.ts";

export const users = pgTable(
  "users",
  {
    id: id(),
    name: text().notNull(),
    // Stored trimmed and lower-cased by the API; the unique index on lower() holds even for
    // rows written some other way.
    email: text().notNull(),
    passwordHash: text().notNull(),
    /** When the address was proven to be theirs: a verification link, or an emailed invitation or reset link used. */
    emailVerifiedAt: timestampTz(),
    /**
     * Whether they have a second factor (an enabled TOTP, or a passkey not flagged), kept by the
     * factors module in the transaction that changes one: tenant reads (the session guard) see
     * this column and nothing of the factors themselves.
     */
    hasSecondFactor: boolean().notNull().default(false),
    /** An operator of the platform ('admin'): granted by `bun run admin:grant`, never by the API. */
    platformRole: text().$type<"admin">(),
    /** Disabled by an operator: no sign-in, and 403 ACCOUNT_DISABLED on every route, until enabled. */
    disabledAt: timestampTz(),
    createdAt: createdAt(),
  },
  (table) => [uniqueIndex("users_email_lower_key").on(sql`lower(${table.email})`)],
);
