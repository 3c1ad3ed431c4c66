import { eq, sql } from "drizzle-orm";
import type Stripe from "stripe";
import type { Tx } from "../../db/client.ts";
import { billingSubscriptions, organisations } from "../../db/schema/index.ts";
import { queryRows } from "../../db/sql.ts";
import type { Logger } from "../../lib/logger.ts";
import type { PlanName } from "../../lib/vocabulary.ts";
import { applyPlanFromBilling } from "../organisations/index.ts";
import { entitledPlan, type PriceBook } from "./entitlements.ts";
import { atStripe, isMissingAtStripe } from "./stripe-client.ts";

/**
 * Serialises everything billing does for one organisation — a webhook's read-back, a checkout's
 * customer creation, the grace sweep — until `tx` ends. Its own lock, not the organisation row's,
 * so a call to Stripe made under it never holds up invites and accepts.
 */
export async function lockBilling(tx: Tx, organisationId: string): Promise<void> {
  await queryRows(tx, sql`select pg_advisory_xact_lock(hashtextextended(${`billing:${organisationId}`}, 0))::text`);
}

const ENDED = new Set(["canceled", "incomplete_expired"]);

/** The subscription that counts for a customer: the newest that has not ended, else the newest of all. */
function currentOf(subscriptions: Stripe.Subscription[]): Stripe.Subscription | undefined {
  const newestFirst = [...subscriptions].sort((a, b) => b.created - a.created);
  return newestFirst.find((subscription) => !ENDED.has(subscription.status)) ?? newestFirst[0];
}

const dateOf = (seconds: number | null | undefined) => (seconds ? new Date(seconds * 1000) : null);
const idOf = (value: string | { id: string }) => (typeof value === "string" ? value : value.id);

type Deps = {
  stripe: Stripe;
  prices: PriceBook;
  graceDays: number;
  /** STRIPE_SEAT_PRICING=per_seat: stored with the subscription, which the seat trigger and job read. */
  perSeat: boolean;
  logger: Logger;
};

/**
 * Order-safety by read-back: every event is only a wake-up. Under the organisation's billing
 * lock we read the customer's subscriptions from Stripe and store what they are now, so an old
 * `customer.subscription.updated` arriving late changes nothing — what we store is never older
 * than what Stripe says at that moment. Chosen over a watermark per subscription because
 * events' `created` has one-second resolution (two changes in a second cannot be ordered by
 * it) and because a watermark drops the late event but still trusts its snapshot's contents;
 * the read-back costs one API call per event, which webhooks' volume allows.
 */
export function createSubscriptionSync({ stripe, prices, graceDays, perSeat, logger }: Deps) {
  /** Makes the organisation's plan follow its stored subscription (and the clock, for grace). Returns the plan. */
  async function applyEntitlement(tx: Tx, organisationId: string): Promise<PlanName> {
    const [standing] = await tx.select().from(billingSubscriptions).where(eq(billingSubscriptions.organisationId, organisationId));
    const plan = entitledPlan(standing, graceDays);
    await applyPlanFromBilling(tx, organisationId, plan);
    return plan;
  }

  return {
    applyEntitlement,

    /** Reads the customer's subscriptions back from Stripe, stores the one that counts, and applies its plan. Call under lockBilling. */
    async syncCustomer(tx: Tx, organisationId: string, customerId: string): Promise<PlanName> {
      const { data } = await atStripe(logger, () => stripe.subscriptions.list({ customer: customerId, status: "all", limit: 100 }));
      const subscription = currentOf(data);
      if (!subscription) return applyEntitlement(tx, organisationId);
      const [previous] = await tx.select().from(billingSubscriptions).where(eq(billingSubscriptions.organisationId, organisationId));
      const stillPastDue = previous?.subscriptionId === subscription.id && previous.status === "past_due" && previous.pastDueSince;
      const item = subscription.items.data[0];
      const stored = {
        customerId: idOf(subscription.customer),
        subscriptionId: subscription.id,
        status: subscription.status,
        itemId: item?.id ?? null,
        priceId: item?.price.id ?? null,
        pricePlan: prices.planOf(item?.price.id),
        quantity: item?.quantity ?? null,
        perSeat,
        trialEnd: dateOf(subscription.trial_end),
        currentPeriodEnd: dateOf(item?.current_period_end),
        cancelAtPeriodEnd: subscription.cancel_at_period_end,
        pastDueSince: subscription.status === "past_due" ? (stillPastDue ? previous.pastDueSince : new Date()) : null,
        syncedAt: new Date(),
      };
      if (item && !stored.pricePlan)
        logger.warn("billing: a subscription's price is not STRIPE_PRICE_PRO or _ENTERPRISE; it grants FREE", { priceId: item.price.id });
      await tx
        .insert(billingSubscriptions)
        .values({ organisationId, ...stored })
        .onConflictDoUpdate({ target: billingSubscriptions.organisationId, set: stored });
      return applyEntitlement(tx, organisationId);
    },

    /**
     * The organisation a customer belongs to: the one that stored it at checkout, else the one its
     * metadata names (set when we created it) if that organisation has no other customer — which
     * it then adopts. Null for a customer of no organisation of ours.
     */
    async organisationOf(tx: Tx, customerId: string): Promise<string | null> {
      const [known] = await tx.select({ id: organisations.id }).from(organisations).where(eq(organisations.billingCustomerId, customerId));
      if (known) return known.id;
      const customer = await atStripe(logger, () =>
        stripe.customers.retrieve(customerId).catch((error: unknown) => {
          if (isMissingAtStripe(error)) return null;
          throw error;
        }),
      );
      const named = !customer || customer.deleted ? undefined : customer.metadata.organisationId;
      if (!named || !/^[0-9a-f-]{36}$/i.test(named)) return null;
      await lockBilling(tx, named);
      const [organisation] = await tx
        .select({ customerId: organisations.billingCustomerId })
        .from(organisations)
        .where(eq(organisations.id, named));
      if (!organisation) return null;
      if (organisation.customerId === null) {
        await tx.update(organisations).set({ billingCustomerId: customerId }).where(eq(organisations.id, named));
        return named;
      }
      return organisation.customerId === customerId ? named : null;
    },
  };
}

export type SubscriptionSync = ReturnType<typeof createSubscriptionSync>;
