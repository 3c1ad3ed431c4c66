import { sql } from "drizzle-orm";
import { bigint, check, index, pgTable, primaryKey, text, uuid } from "drizzle-orm/pg-core";
import { ACTIVITY_TYPES, type UserSummary } from "../../lib/vocabulary.ts";
import { createdAt, jsonObject } from "./columns.ts";
import { organisations } from "./organisations.ts";

/**
 * The audit log and the source of every realtime event. Append-only: the tenant role may
 * insert and read, never update or delete.
 *
 * The id is the organisation's own counter (organisations.last_activity_id, bumped under the
 * organisation row lock by recordActivity): 1, 2, 3… with no gaps and in commit order. It is
 * the resume point of the realtime stream and the feed's keyset, and a client that sees
 * anything but last + 1 knows it missed something. One global sequence would also have told
 * every tenant how much the others write. Actor and target are snapshots, so a removed member
 * still shows by name.
 *
 * `type` is text with a CHECK rather than an enum: under row-level security PostgreSQL uses a
 * condition as an index condition only if its operator is leakproof, and enum equality is not.
 * With an enum, `?type=` filtered row by row along the organisation's whole history instead of
 * reading (organisation_id, type, id).
 */
export const activities = pgTable(
  "activities",
  {
    organisationId: uuid()
      .notNull()
      .references(() => organisations.id, { onDelete: "cascade" }),
    id: bigint({ mode: "bigint" }).notNull(),
    type: text({ enum: ACTIVITY_TYPES }).notNull(),
    message: text().notNull(),
    actor: jsonObject<UserSummary | null>(),
    target: jsonObject<UserSummary | null>(),
    metadata: jsonObject<Record<string, unknown>>().notNull(),
    createdAt: createdAt(),
    // The request that caused it, for an auditor: shown to ADMINs only.
    requestId: text(),
    ip: text(),
    userAgent: text(),
    /** The caller's own X-Request-Id, kept only behind a trusted proxy (TRUST_PROXY): for correlation, never as the audit's id. */
    forwardedRequestId: text(),
  },
  (table) => [
    primaryKey({ name: "activities_pkey", columns: [table.organisationId, table.id] }),
    index("activities_org_type_id_idx").on(table.organisationId, table.type, table.id),
    // The retention purge finds what has aged out without scanning the log.
    index("activities_created_idx").on(table.createdAt),
    check("activities_type_known", sql.raw(`${"type"} in (${ACTIVITY_TYPES.map((type) => `'${type}'`).join(", ")})`)),
  ],
);
