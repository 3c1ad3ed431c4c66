import { sql } from "drizzle-orm";
import { bigint, boolean, pgTable, text } from "drizzle-orm/pg-core";
import { createdAt, id, timestampTz } from "./columns.ts";
import { subscriptionPlan } from "./enums.ts";

export const organisations = pgTable("organisations", {
  id: id(),
  name: text().notNull(),
  slug: text().notNull().unique(),
  subscriptionPlan: subscriptionPlan().notNull().default("FREE"),
  createdAt: createdAt(),
  updatedAt: timestampTz().notNull().defaultNow(),
  /** The id of the organisation's newest activity: its activity counter (see activities.ts). */
  lastActivityId: bigint({ mode: "bigint" }).notNull().default(sql`0`),
  /** The organisation's customer at the billing provider, created at its first checkout. */
  billingCustomerId: text().unique(),
  /** Its members must have a second factor: a session of one without is narrowed to setting one up. */
  requireTwoFactor: boolean().notNull().default(false),
});
