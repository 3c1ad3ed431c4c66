import { sql } from "drizzle-orm";
import { index, integer, pgTable, text, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, timestampTz } from "./columns.ts";
import { organisations } from "./organisations.ts";

/**
 * Mail waiting to leave: written in the same transaction as the change that causes it, sent
 * at least once by whichever instance claims it (FOR UPDATE SKIP LOCKED), marked sent only once
 * the transport has accepted it. A message of an organisation goes with the organisation.
 */
export const outbox = pgTable(
  "outbox",
  {
    id: id(),
    organisationId: uuid().references(() => organisations.id, { onDelete: "cascade" }),
    recipient: text().notNull(),
    subject: text().notNull(),
    body: text().notNull(),
    attempts: integer().notNull().default(0),
    nextAttemptAt: timestampTz().notNull().defaultNow(),
    lastError: text(),
    sentAt: timestampTz(),
    /** Set when it gave up (too many failed attempts): kept for an operator to look at. */
    failedAt: timestampTz(),
    createdAt: createdAt(),
  },
  (table) => [
    // The sender's question: what is due, oldest first.
    index("outbox_due_idx").on(table.nextAttemptAt).where(sql`${table.sentAt} is null and ${table.failedAt} is null`),
  ],
);
