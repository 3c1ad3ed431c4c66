import type { Config } from "../../config/env.ts";
import type { PlanName } from "../../lib/vocabulary.ts";

export type PaidPlan = Exclude<PlanName, "FREE">;

/** The subscription facts a plan follows from. */
export type SubscriptionStanding = { status: string; pricePlan: PlanName | null; pastDueSince: Date | null };

const DAY_MS = 86_400_000;

/**
 * What each status grants, the one place that says it:
 * - `active` and `trialing`: the subscribed price's plan;
 * - `past_due`: that plan until BILLING_GRACE_DAYS after we first saw it past due;
 * - everything else (`canceled`, `unpaid`, `incomplete`, `incomplete_expired`, `paused`), no
 *   subscription at all, or a price this server does not know: FREE.
 */
export function entitledPlan(standing: SubscriptionStanding | undefined, graceDays: number, now = new Date()): PlanName {
  if (!standing?.pricePlan) return "FREE";
  if (standing.status === "active" || standing.status === "trialing") return standing.pricePlan;
  const until = graceUntil(standing, graceDays);
  return until && until > now ? standing.pricePlan : "FREE";
}

/** When a past-due subscription's grace runs out; null when it is not past due. */
export function graceUntil(standing: SubscriptionStanding, graceDays: number): Date | null {
  if (standing.status !== "past_due" || !standing.pastDueSince) return null;
  return new Date(standing.pastDueSince.getTime() + graceDays * DAY_MS);
}

/** Plans and their Stripe prices (STRIPE_PRICE_PRO, STRIPE_PRICE_ENTERPRISE). */
export function createPriceBook(config: Pick<Config, "STRIPE_PRICE_PRO" | "STRIPE_PRICE_ENTERPRISE">) {
  const prices: Record<PaidPlan, string | undefined> = { PRO: config.STRIPE_PRICE_PRO, ENTERPRISE: config.STRIPE_PRICE_ENTERPRISE };
  return {
    priceOf: (plan: PaidPlan) => prices[plan],
    planOf: (priceId: string | null | undefined): PaidPlan | null =>
      (Object.keys(prices) as PaidPlan[]).find((plan) => priceId !== undefined && prices[plan] === priceId) ?? null,
  };
}

export type PriceBook = ReturnType<typeof createPriceBook>;
