import { index, pgTable, text, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, jsonObject } from "./columns.ts";

/**
 * Every operator action, written in the transaction that does it (db/platform.ts): who, what,
 * on what, why, and from where. The platform's own log, beside the organisations' feeds; it
 * outlives what it is about (no foreign keys).
 */
export const platformAudit = pgTable(
  "platform_audit",
  {
    id: id(),
    operatorId: uuid().notNull(),
    operatorEmail: text().notNull(),
    action: text().notNull(),
    targetType: text().notNull(),
    targetId: uuid(),
    reason: text(),
    detail: jsonObject<Record<string, unknown> | null>(),
    requestId: text(),
    ip: text(),
    userAgent: text(),
    createdAt: createdAt(),
  },
  (table) => [index("platform_audit_created_idx").on(table.createdAt), index("platform_audit_target_idx").on(table.targetId)],
);
