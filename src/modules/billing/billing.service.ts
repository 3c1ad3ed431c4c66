import { eq } from "drizzle-orm";
import type Stripe from "stripe";
import type { Config } from "../../config/env.ts";
import type { Db } from "../../db/client.ts";
import { billingSubscriptions, organisations } from "../../db/schema/index.ts";
import { withSystem } from "../../db/tenant.ts";
import type { AuthContext } from "../../lib/auth-context.ts";
import { ConflictError, InvalidInputError, UnavailableError } from "../../lib/errors.ts";
import type { Logger } from "../../lib/logger.ts";
import type { PublicUrl } from "../../lib/public-url.ts";
import { compOf, seatCounts } from "../organisations/index.ts";
import type { BillingOverview } from "./billing.schemas.ts";
import { graceUntil, type PaidPlan, type PriceBook } from "./entitlements.ts";
import { atStripe } from "./stripe-client.ts";
import { lockBilling } from "./subscription-sync.ts";

const STILL_BILLED = new Set(["active", "trialing", "past_due", "unpaid", "incomplete", "paused"]);

type Deps = {
  db: Db;
  config: Config;
  links: PublicUrl;
  logger: Logger;
  /** Absent when BILLING_PROVIDER=none. */
  stripe: Stripe | undefined;
  prices: PriceBook;
};

type ReturnUrls = { successUrl?: string; cancelUrl?: string };

/**
 * Checkout, the portal and the billing overview. The organisation's Stripe customer is created
 * once, under its billing lock, with an idempotency key of the organisation: a retry after a
 * timeout (ours or the SDK's) gets the same customer, never a second. It is stored before any
 * checkout exists, so a webhook about it always finds its organisation.
 */
export function createBillingService({ db, config, links, logger, stripe, prices }: Deps) {
  const enabled = (): Stripe => {
    if (!stripe)
      throw new ConflictError("Billing is off on this server (BILLING_PROVIDER=none): change the plan directly", "BILLING_DISABLED");
    return stripe;
  };

  // A return URL is where Stripe sends the ADMIN's browser: only the product's own origins.
  const allowedOrigins = () => new Set([links.base, ...config.CORS_ORIGINS].filter(Boolean).map((url) => new URL(url as string).origin));
  function ownUrl(field: string, url: string | undefined, fallback: () => string): string {
    if (url === undefined) return fallback();
    if (!allowedOrigins().has(new URL(url).origin)) {
      const message = `${field} must be on this product's own origin (APP_URL or one of CORS_ORIGINS)`;
      throw new InvalidInputError(message, [{ path: field, message }]);
    }
    return url;
  }

  /** The organisation's customer, created at Stripe the first time. Refuses when a subscription already bills it. */
  const customerFor = (client: Stripe, auth: AuthContext) =>
    withSystem(db, async (tx) => {
      await lockBilling(tx, auth.orgId);
      const [organisation] = await tx
        .select({ name: organisations.name, customerId: organisations.billingCustomerId })
        .from(organisations)
        .where(eq(organisations.id, auth.orgId));
      const [standing] = await tx
        .select({ status: billingSubscriptions.status })
        .from(billingSubscriptions)
        .where(eq(billingSubscriptions.organisationId, auth.orgId));
      if (standing && STILL_BILLED.has(standing.status)) {
        throw new ConflictError(
          `The organisation already has a subscription (${standing.status}): change or cancel it in the billing portal`,
          "ALREADY_SUBSCRIBED",
        );
      }
      if (organisation?.customerId) return { customerId: organisation.customerId, subscribedBefore: standing !== undefined };
      const customer = await atStripe(logger, () =>
        client.customers.create(
          { name: organisation?.name, email: auth.email, metadata: { organisationId: auth.orgId } },
          { idempotencyKey: `customer-${auth.orgId}` },
        ),
      );
      await tx.update(organisations).set({ billingCustomerId: customer.id }).where(eq(organisations.id, auth.orgId));
      return { customerId: customer.id, subscribedBefore: standing !== undefined };
    });

  const memberCount = (organisationId: string) =>
    withSystem(db, async (tx) => {
      const [row] = await tx
        .select({ members: seatCounts(organisationId).members })
        .from(organisations)
        .where(eq(organisations.id, organisationId));
      return row?.members ?? 0;
    });

  return {
    async checkout(auth: AuthContext, plan: PaidPlan, urls: ReturnUrls): Promise<{ url: string }> {
      const client = enabled();
      const price = prices.priceOf(plan);
      const setting = `STRIPE_PRICE_${plan}`;
      if (!price)
        throw new UnavailableError(`The ${plan} plan has no price on this server (${setting} is not set)`, "BILLING_UNAVAILABLE", 60);
      const successUrl = ownUrl("successUrl", urls.successUrl, () => links.to("/billing", { checkout: "success" }));
      const cancelUrl = ownUrl("cancelUrl", urls.cancelUrl, () => links.to("/billing", { checkout: "cancelled" }));
      const { customerId, subscribedBefore } = await customerFor(client, auth);
      const quantity = config.STRIPE_SEAT_PRICING === "per_seat" ? Math.max(1, await memberCount(auth.orgId)) : 1;
      // A trial is for a first subscription only: cancelling and checking out again does not buy another.
      const trial = config.STRIPE_TRIAL_DAYS > 0 && !subscribedBefore ? { trial_period_days: config.STRIPE_TRIAL_DAYS } : {};
      const session = await atStripe(logger, () =>
        client.checkout.sessions.create({
          mode: "subscription",
          customer: customerId,
          client_reference_id: auth.orgId,
          line_items: [{ price, quantity }],
          subscription_data: { metadata: { organisationId: auth.orgId }, ...trial },
          success_url: successUrl,
          cancel_url: cancelUrl,
        }),
      );
      if (!session.url) throw new UnavailableError("Stripe returned a checkout session without a URL; try again", "BILLING_UNAVAILABLE", 5);
      return { url: session.url };
    },

    async portal(auth: AuthContext, returnUrl: string | undefined): Promise<{ url: string }> {
      const client = enabled();
      const url = ownUrl("returnUrl", returnUrl, () => links.to("/billing"));
      const [organisation] = await withSystem(db, (tx) =>
        tx.select({ customerId: organisations.billingCustomerId }).from(organisations).where(eq(organisations.id, auth.orgId)),
      );
      const customerId = organisation?.customerId;
      if (!customerId) throw new ConflictError("The organisation has no billing account yet: start a checkout first", "NO_BILLING_ACCOUNT");
      const session = await atStripe(logger, () => client.billingPortal.sessions.create({ customer: customerId, return_url: url }));
      return { url: session.url };
    },

    overview: (auth: AuthContext): Promise<BillingOverview> =>
      withSystem(db, async (tx) => {
        const [organisation] = await tx
          .select({ plan: organisations.subscriptionPlan, members: seatCounts(auth.orgId).members })
          .from(organisations)
          .where(eq(organisations.id, auth.orgId));
        const [standing] = await tx.select().from(billingSubscriptions).where(eq(billingSubscriptions.organisationId, auth.orgId));
        const iso = (at: Date | null | undefined) => at?.toISOString() ?? null;
        const comp = await compOf(tx, auth.orgId);
        return {
          provider: config.BILLING_PROVIDER,
          plan: organisation?.plan ?? "FREE",
          status: standing?.status ?? null,
          trialEnd: iso(standing?.trialEnd),
          currentPeriodEnd: iso(standing?.currentPeriodEnd),
          cancelAtPeriodEnd: standing?.cancelAtPeriodEnd ?? false,
          graceUntil: iso(standing ? graceUntil(standing, config.BILLING_GRACE_DAYS) : null),
          seats: organisation?.members ?? 0,
          source: comp ? "comp" : config.BILLING_PROVIDER === "none" ? "manual" : "billing",
          compUntil: iso(comp?.until),
        };
      }),
  };
}

export type BillingService = ReturnType<typeof createBillingService>;
