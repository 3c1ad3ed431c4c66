// The billing module: plans paid for through Stripe (BILLING_PROVIDER=stripe), or not at all (none).
import type { Config } from "../../config/env.ts";
import type { Db } from "../../db/client.ts";
import type { Logger } from "../../lib/logger.ts";
import type { PublicUrl } from "../../lib/public-url.ts";
import { createOutbox } from "../mail/index.ts";
import { createBillingService } from "./billing.service.ts";
import { createBillingJobs } from "./billing-jobs.ts";
import { createPriceBook } from "./entitlements.ts";
import { createGraceSweep } from "./grace-sweep.ts";
import { createBillingNotices } from "./notices.ts";
import { createStripeClient } from "./stripe-client.ts";
import { createSubscriptionSync } from "./subscription-sync.ts";
import { createWebhookService } from "./webhooks.service.ts";

export { BILLING_JOBS } from "./billing-jobs.ts";
export { entitledPlan, graceUntil } from "./entitlements.ts";

type Deps = { db: Db; config: Config; links: PublicUrl; logger: Logger; onJobFailure?: () => void };

/** Billing's parts, built once per instance: the routes' services and, with Stripe, its background work. */
export function createBilling({ db, config, links, logger, onJobFailure }: Deps) {
  const prices = createPriceBook(config);
  const stripe = config.BILLING_PROVIDER === "stripe" ? createStripeClient(config) : undefined;
  const service = createBillingService({ db, config, links, logger, stripe, prices });
  if (!stripe) return { service, webhooks: createWebhookService({ db, stripe, webhookSecret: undefined, logger }) };

  const graceDays = config.BILLING_GRACE_DAYS;
  const sync = createSubscriptionSync({ stripe, prices, graceDays, perSeat: config.STRIPE_SEAT_PRICING === "per_seat", logger });
  const notices = createBillingNotices({ stripe, outbox: createOutbox(config.JWT_REFRESH_SECRET), links, graceDays, logger });
  return {
    service,
    webhooks: createWebhookService({ db, stripe, webhookSecret: config.STRIPE_WEBHOOK_SECRET, logger, billing: { sync, notices } }),
    jobs: createBillingJobs({ db, stripe, logger, onFailure: onJobFailure }),
    graceSweep: createGraceSweep({ db, sync, graceDays, logger }),
  };
}

export type Billing = ReturnType<typeof createBilling>;
