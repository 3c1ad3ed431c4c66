import { index, pgTable, primaryKey, uuid } from "drizzle-orm/pg-core";
import { createdAt } from "./columns.ts";
import { memberRole } from "./enums.ts";
import { organisations } from "./organisations.ts";
import { users } from "./users.ts";

export const memberships = pgTable(
  "memberships",
  {
    organisationId: uuid()
      .notNull()
      .references(() => organisations.id, { onDelete: "cascade" }),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    role: memberRole().notNull(),
    createdAt: createdAt(),
  },
  (table) => [
    primaryKey({ columns: [table.organisationId, table.userId] }),
    index("memberships_user_idx").on(table.userId),
    // Keyset pagination of GET /api/users: (joined at, user id) within one organisation.
    index("memberships_org_joined_idx").on(table.organisationId, table.createdAt, table.userId),
  ],
);
