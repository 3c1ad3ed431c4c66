import { eq } from "drizzle-orm";
import type Stripe from "stripe";
import type { Db } from "../../db/client.ts";
import { billingEvents } from "../../db/schema/index.ts";
import { withSystem } from "../../db/tenant.ts";
import { BadRequestError, ConflictError } from "../../lib/errors.ts";
import type { Logger } from "../../lib/logger.ts";
import type { BillingNotices } from "./notices.ts";
import { lockBilling, type SubscriptionSync } from "./subscription-sync.ts";

/** The events that change anything here; every other type is answered 200 and ignored. */
const HANDLED = new Set<string>([
  "checkout.session.completed",
  "customer.subscription.created",
  "customer.subscription.updated",
  "customer.subscription.deleted",
  "customer.subscription.trial_will_end",
  "invoice.paid",
  "invoice.payment_failed",
]);

export type WebhookOutcome = "applied" | "duplicate" | "ignored" | "unknown_customer";

/** An id, whether expanded or not; null for anything else (a signed event is still only as well-formed as its sender made it). */
const idOf = (value: unknown): string | null => {
  if (typeof value === "string") return value;
  const id = typeof value === "object" && value !== null ? (value as { id?: unknown }).id : undefined;
  return typeof id === "string" ? id : null;
};

/** The customer an event is about (every handled event names one). */
function customerOf(event: Stripe.Event): string | null {
  switch (event.type) {
    case "checkout.session.completed":
      return idOf(event.data.object.customer);
    case "customer.subscription.created":
    case "customer.subscription.updated":
    case "customer.subscription.deleted":
    case "customer.subscription.trial_will_end":
      return idOf(event.data.object.customer);
    case "invoice.paid":
    case "invoice.payment_failed":
      return idOf(event.data.object.customer);
    default:
      return null;
  }
}

type Deps = {
  db: Db;
  /** Absent when BILLING_PROVIDER=none: every delivery is then refused as BILLING_DISABLED. */
  stripe: Stripe | undefined;
  webhookSecret: string | undefined;
  logger: Logger;
  billing?: { sync: SubscriptionSync; notices: BillingNotices };
};

/**
 * POST /api/billing/webhook. An event is applied in one transaction with its row in the ledger
 * (billing_events, keyed by the event id): a redelivery finds the row and changes nothing, two
 * deliveries at once queue on the row's key and the second finds it, and an event whose work
 * fails (Stripe unreachable for the read-back) leaves no row, answers 503 and is delivered
 * again by Stripe.
 */
export function createWebhookService({ db, stripe, webhookSecret, logger, billing }: Deps) {
  async function verified(rawBody: string, signature: string | undefined): Promise<Stripe.Event> {
    if (!stripe || !billing) throw new ConflictError("Billing is off on this server (BILLING_PROVIDER=none)", "BILLING_DISABLED");
    if (!webhookSecret)
      throw new BadRequestError("This server has no STRIPE_WEBHOOK_SECRET: it cannot verify webhooks", "WEBHOOK_SIGNATURE_INVALID");
    if (!signature) throw new BadRequestError("The Stripe-Signature header is missing", "WEBHOOK_SIGNATURE_INVALID");
    try {
      return await stripe.webhooks.constructEventAsync(rawBody, signature, webhookSecret);
    } catch (error) {
      throw new BadRequestError(
        `The Stripe-Signature does not verify: ${error instanceof Error ? error.message : "invalid"}`,
        "WEBHOOK_SIGNATURE_INVALID",
      );
    }
  }

  return {
    async receive(rawBody: string, signature: string | undefined): Promise<WebhookOutcome> {
      const event = await verified(rawBody, signature);
      const { sync, notices } = billing as NonNullable<Deps["billing"]>;
      const customerId = HANDLED.has(event.type) ? customerOf(event) : null;
      if (!customerId) return "ignored";
      return withSystem(db, async (tx) => {
        const recorded = await tx
          .insert(billingEvents)
          .values({ eventId: event.id, type: event.type })
          .onConflictDoNothing()
          .returning({ eventId: billingEvents.eventId });
        if (recorded.length === 0) return "duplicate";
        const organisationId = await sync.organisationOf(tx, customerId);
        if (!organisationId) {
          logger.warn("billing: an event for a customer of no organisation here; ignored", { eventId: event.id, type: event.type });
          return "unknown_customer";
        }
        await tx.update(billingEvents).set({ organisationId }).where(eq(billingEvents.eventId, event.id));
        await lockBilling(tx, organisationId);
        await sync.syncCustomer(tx, organisationId, customerId);
        if (event.type === "invoice.payment_failed" && event.data.object.id) {
          await notices.paymentFailed(tx, organisationId, event.data.object.id);
        }
        if (event.type === "customer.subscription.trial_will_end") await notices.trialEnding(tx, organisationId);
        logger.info("billing: event applied", { eventId: event.id, type: event.type, organisationId });
        return "applied";
      });
    },
  };
}

export type WebhookService = ReturnType<typeof createWebhookService>;
