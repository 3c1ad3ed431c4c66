import { bigint, index, pgTable, primaryKey, text, uuid } from "drizzle-orm/pg-core";
import type { UserSummary } from "../../lib/vocabulary.ts";
import { createdAt, jsonObject } from "./columns.ts";
import { activityType } from "./enums.ts";
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
 */
export const activities = pgTable(
  "activities",
  {
    organisationId: uuid()
      .notNull()
      .references(() => organisations.id, { onDelete: "cascade" }),
    id: bigint({ mode: "bigint" }).notNull(),
    type: activityType().notNull(),
    message: text().notNull(),
    actor: jsonObject<UserSummary | null>(),
    target: jsonObject<UserSummary | null>(),
    metadata: jsonObject<Record<string, unknown>>().notNull(),
    createdAt: createdAt(),
  },
  (table) => [
    primaryKey({ name: "activities_pkey", columns: [table.organisationId, table.id] }),
    index("activities_org_type_id_idx").on(table.organisationId, table.type, table.id),
  ],
);
