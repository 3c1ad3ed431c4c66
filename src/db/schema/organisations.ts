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
  /** Suspended by an operator: its members get 403 ORGANISATION_SUSPENDED everywhere; its data is untouched. */
  suspendedAt: timestampTz(),
  suspendedReason: text(),
  /**
   * A plan an operator set by hand (a comp), until `compUntil` (null: until lifted). While it
   * lasts it is the plan, and billing does not override it; when it ends, the plan goes back to
   * what billing grants (or, without billing, to `compPreviousPlan`).
   */
  compPlan: subscriptionPlan(),
  compUntil: timestampTz(),
  compReason: text(),
  compPreviousPlan: subscriptionPlan(),
});
