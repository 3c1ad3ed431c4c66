import { sql } from "drizzle-orm";
import { check, index, integer, pgTable, text, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, timestampTz } from "./columns.ts";
import { organisations } from "./organisations.ts";

export const OUTBOX_KINDS = ["mail", "password_reset", "email_verification"] as const;
export type OutboxKind = (typeof OUTBOX_KINDS)[number];

/**
 * Mail waiting to leave: written in the same transaction as the change that causes it, sent at
 * least once by whichever instance claims it, marked sent only once the transport has accepted
 * it. A message of an organisation goes with the organisation.
 *
 * - `kind` "mail" is a message composed when it was queued, its body sealed (lib/sealed.ts)
 *   because it may hold a live link. "password_reset" is a request for one: the sender resolves
 *   the account and mints the link when it sends, so nothing secret waits here at all.
 * - A sender claims a row with a lease it commits (`claimedBy`, `claimedUntil`): a sender whose
 *   connection dies mid-send does not hand its mail to another before the lease runs out.
 * - It is retried until MAIL_RETRY_FOR after `queuedAt`, then set aside (`failedAt`) for an
 *   operator, who can queue it again (which sets `queuedAt` anew).
 * - Once sent, its body is cleared.
 */
export const outbox = pgTable(
  "outbox",
  {
    id: id(),
    organisationId: uuid().references(() => organisations.id, { onDelete: "cascade" }),
    kind: text().$type<OutboxKind>().notNull().default("mail"),
    recipient: text().notNull(),
    subject: text(),
    body: text(),
    attempts: integer().notNull().default(0),
    nextAttemptAt: timestampTz().notNull().defaultNow(),
    lastError: text(),
    sentAt: timestampTz(),
    failedAt: timestampTz(),
    claimedBy: text(),
    claimedUntil: timestampTz(),
    queuedAt: timestampTz().notNull().defaultNow(),
    createdAt: createdAt(),
  },
  (table) => [
    // The sender's question: what is due, oldest first.
    index("outbox_due_idx").on(table.nextAttemptAt).where(sql`${table.sentAt} is null and ${table.failedAt} is null`),
    // The set-aside gauge and the operator's re-queue.
    index("outbox_set_aside_idx").on(table.failedAt).where(sql`${table.sentAt} is null and ${table.failedAt} is not null`),
    index("outbox_recipient_idx").on(sql`lower(${table.recipient})`),
    check("outbox_kind_known", sql.raw(`kind in (${OUTBOX_KINDS.map((kind) => `'${kind}'`).join(", ")})`)),
  ],
);
