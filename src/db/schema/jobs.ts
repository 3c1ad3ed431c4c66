import { sql } from "drizzle-orm";
import { index, integer, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, jsonObject, timestampTz } from "./columns.ts";

/**
 * Durable work that must reach another system eventually (a subscription's seat count, its
 * cancellation), claimed like the outbox (db/leased-queue.ts): a lease committed before the
 * work, retried with backoff, set aside after its retry window.
 *
 * - `key` names what the job is about: while one of a kind and key is open, enqueueing the
 *   same again bumps its `generation` instead of adding a row. A job that ran while its
 *   generation moved runs again, so the last change is never lost to a run that read too early.
 * - `organisationId` is informative only (no foreign key): a cancellation outlives its organisation.
 */
export const jobs = pgTable(
  "jobs",
  {
    id: id(),
    kind: text().notNull(),
    key: text().notNull(),
    organisationId: uuid(),
    payload: jsonObject<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    generation: integer().notNull().default(0),
    attempts: integer().notNull().default(0),
    nextAttemptAt: timestampTz().notNull().defaultNow(),
    lastError: text(),
    claimedBy: text(),
    claimedUntil: timestampTz(),
    doneAt: timestampTz(),
    failedAt: timestampTz(),
    queuedAt: timestampTz().notNull().defaultNow(),
    createdAt: createdAt(),
  },
  (table) => [
    uniqueIndex("jobs_open_key_idx").on(table.kind, table.key).where(sql`${table.doneAt} is null and ${table.failedAt} is null`),
    index("jobs_due_idx").on(table.nextAttemptAt).where(sql`${table.doneAt} is null and ${table.failedAt} is null`),
  ],
);
