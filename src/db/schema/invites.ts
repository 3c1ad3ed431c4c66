import { sql } from "drizzle-orm";
import { index, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, timestampTz } from "./columns.ts";
import { inviteStatus, memberRole } from "./enums.ts";
import { organisations } from "./organisations.ts";
import { users } from "./users.ts";

export const invites = pgTable(
  "invites",
  {
    id: id(),
    organisationId: uuid()
      .notNull()
      .references(() => organisations.id, { onDelete: "cascade" }),
    email: text().notNull(),
    role: memberRole().notNull(),
    tokenHash: text().notNull().unique(),
    invitedBy: uuid().references(() => users.id, { onDelete: "set null" }),
    status: inviteStatus().notNull().default("PENDING"),
    expiresAt: timestampTz().notNull(),
    createdAt: createdAt(),
  },
  (table) => [
    // At most one pending invite per address and organisation, whatever races the API loses.
    uniqueIndex("invites_one_pending_per_email").on(table.organisationId, table.email).where(sql`${table.status} = 'PENDING'`),
    index("invites_org_status_idx").on(table.organisationId, table.status),
    // The pending list, oldest first: read in order, never sorted, however many an organisation has.
    index("invites_pending_org_created_idx").on(table.organisationId, table.createdAt, table.id).where(sql`${table.status} = 'PENDING'`),
  ],
);
