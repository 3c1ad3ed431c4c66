import { boolean, index, integer, pgTable, primaryKey, text, uuid } from "drizzle-orm/pg-core";
import { createdAt, timestampTz } from "./columns.ts";
import { subscriptionPlan } from "./enums.ts";
import { organisations } from "./organisations.ts";

/**
 * An organisation's subscription as the provider last told us (a webhook woke us and we read
 * it back): what GET /api/billing shows and what the organisation's plan is derived from.
 * One per organisation — the one that currently counts when a customer has several.
 */
export const billingSubscriptions = pgTable(
  "billing_subscriptions",
  {
    organisationId: uuid()
      .primaryKey()
      .references(() => organisations.id, { onDelete: "cascade" }),
    customerId: text().notNull(),
    subscriptionId: text().notNull().unique(),
    /** Stripe's status, verbatim: trialing, active, past_due, canceled, unpaid, incomplete… */
    status: text().notNull(),
    /** The subscription item that carries the plan's price (and, per seat, the quantity). */
    itemId: text(),
    priceId: text(),
    /** The plan that price buys; null for a price this server does not know. */
    pricePlan: subscriptionPlan(),
    quantity: integer(),
    /** Billed per member (STRIPE_SEAT_PRICING=per_seat when it was last synced): its quantity follows membership. */
    perSeat: boolean().notNull().default(false),
    trialEnd: timestampTz(),
    currentPeriodEnd: timestampTz(),
    cancelAtPeriodEnd: boolean().notNull().default(false),
    /** When we first saw it past_due, in this stretch: the grace period runs from here. */
    pastDueSince: timestampTz(),
    syncedAt: timestampTz().notNull().defaultNow(),
  },
  (table) => [index("billing_subscriptions_customer_idx").on(table.customerId)],
);

/**
 * Every webhook event we accepted, by the provider's id: a redelivery finds its row and
 * changes nothing. Written in the transaction that applies the event, so an event is recorded
 * if and only if its effects committed. Kept when the organisation goes (no foreign key).
 */
export const billingEvents = pgTable("billing_events", {
  eventId: text().primaryKey(),
  type: text().notNull(),
  organisationId: uuid(),
  receivedAt: createdAt(),
});

/**
 * Mail billing sent, at most one of each kind per thing it is about: a failed payment's
 * notice per invoice, a trial's reminder per subscription and trial end.
 */
export const billingNotices = pgTable(
  "billing_notices",
  {
    reference: text().notNull(),
    kind: text().notNull(),
    organisationId: uuid()
      .notNull()
      .references(() => organisations.id, { onDelete: "cascade" }),
    sentAt: createdAt(),
  },
  (table) => [primaryKey({ columns: [table.reference, table.kind] })],
);
