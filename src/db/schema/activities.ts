import { bigint, index, jsonb, pgTable, text, uuid } from "drizzle-orm/pg-core";
import type { UserSummary } from "../../modules/activity/activity.events.ts";
import { createdAt } from "./columns.ts";
import { activityType } from "./enums.ts";
import { organisations } from "./organisations.ts";

/**
 * The audit log and the source of every realtime event. Append-only: the tenant role may
 * insert and read, never update or delete.
 *
 * The id is a bigint identity rather than a uuid because it is also the resume point of the
 * realtime stream and the feed's keyset: ids must sort in commit order within an
 * organisation, which an identity drawn under the organisation row lock guarantees.
 * Actor and target are snapshots, so a removed member still shows by name.
 */
export const activities = pgTable(
  "activities",
  {
    id: bigint({ mode: "bigint" }).primaryKey().generatedAlwaysAsIdentity(),
    organisationId: uuid()
      .notNull()
      .references(() => organisations.id, { onDelete: "cascade" }),
    type: activityType().notNull(),
    message: text().notNull(),
    actor: jsonb().$type<UserSummary | null>(),
    target: jsonb().$type<UserSummary | null>(),
    metadata: jsonb().$type<Record<string, unknown>>().notNull(),
    createdAt: createdAt(),
  },
  (table) => [
    index("activities_org_id_idx").on(table.organisationId, table.id),
    index("activities_org_type_id_idx").on(table.organisationId, table.type, table.id),
  ],
);
