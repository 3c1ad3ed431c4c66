import { eq, sql } from "drizzle-orm";
import type Stripe from "stripe";
import type { Db } from "../../db/client.ts";
import { createLeasedQueue } from "../../db/leased-queue.ts";
import { billingSubscriptions, organisations } from "../../db/schema/index.ts";
import { withSystem } from "../../db/tenant.ts";
import type { Logger } from "../../lib/logger.ts";
import { seatCounts } from "../organisations/index.ts";
import { isMissingAtStripe } from "./stripe-client.ts";

/** The job kinds billing queues; the database's triggers queue them (drizzle/0011), so the names are a contract. */
export const BILLING_JOBS = { syncSeats: "billing.sync_seats", cancelSubscription: "billing.cancel_subscription" } as const;

type JobRow = {
  id: string;
  kind: string;
  key: string;
  organisation_id: string | null;
  payload: { subscriptionId?: string } | string;
  generation: number;
  attempts: number;
};

const COUNTING = new Set(["active", "trialing", "past_due"]);

type Deps = { db: Db; stripe: Stripe; logger: Logger; onFailure?: () => void };

/** How long a job is retried before it is set aside for an operator: past any Stripe outage, short of a billing period. */
const RETRY_FOR_SECONDS = 3 * 86_400;

/**
 * Billing's durable jobs: a subscription's quantity brought in step with its members (per-seat
 * pricing), and the cancellation of a deleted organisation's subscription. A Stripe outage
 * delays them — retried with backoff for three days, then set aside like mail — but never
 * loses them: they wait in the table.
 */
export function createBillingJobs({ db, stripe, logger, onFailure }: Deps) {
  /** Sets the subscription item's quantity to the member count now; what it read is checked against the job's generation. */
  async function syncSeats(job: JobRow) {
    if (!job.organisation_id) return;
    const organisationId = job.organisation_id;
    const [current] = await withSystem(db, (tx) =>
      tx
        .select({
          subscriptionId: billingSubscriptions.subscriptionId,
          itemId: billingSubscriptions.itemId,
          status: billingSubscriptions.status,
          quantity: billingSubscriptions.quantity,
          perSeat: billingSubscriptions.perSeat,
          members: seatCounts(organisationId).members,
        })
        .from(billingSubscriptions)
        .innerJoin(organisations, eq(organisations.id, billingSubscriptions.organisationId))
        .where(eq(billingSubscriptions.organisationId, organisationId)),
    );
    if (!current?.itemId || !current.perSeat || !COUNTING.has(current.status)) return;
    const quantity = Math.max(1, current.members);
    if (current.quantity === quantity) return;
    await stripe.subscriptions.update(
      current.subscriptionId,
      { items: [{ id: current.itemId, quantity }], proration_behavior: "create_prorations" },
      { idempotencyKey: `seats-${job.id}-${job.generation}-${quantity}` },
    );
    await withSystem(db, (tx) =>
      tx.update(billingSubscriptions).set({ quantity }).where(eq(billingSubscriptions.subscriptionId, current.subscriptionId)),
    );
    logger.info("billing: seats brought in step", { organisationId, quantity });
  }

  async function cancelSubscription(job: JobRow) {
    const payload = typeof job.payload === "string" ? (JSON.parse(job.payload) as { subscriptionId?: string }) : job.payload;
    const subscriptionId = payload.subscriptionId;
    if (!subscriptionId) return;
    try {
      await stripe.subscriptions.cancel(subscriptionId, {}, { idempotencyKey: `cancel-${subscriptionId}` });
      logger.info("billing: a deleted organisation's subscription was cancelled", { subscriptionId });
    } catch (error) {
      if (!isMissingAtStripe(error)) throw error;
    }
  }

  const queue = createLeasedQueue<JobRow>(
    {
      db,
      logger,
      table: { name: "jobs", doneColumn: "done_at", returning: "id, kind, key, organisation_id, payload, generation, attempts" },
      failure: "billing job failed",
      work: async (job) => {
        if (job.kind === BILLING_JOBS.syncSeats) return syncSeats(job);
        if (job.kind === BILLING_JOBS.cancelSubscription) return cancelSubscription(job);
        throw new Error(`no handler for job kind ${job.kind}`);
      },
      stillCurrent: (job) => sql`generation = ${job.generation}`,
      onFailure,
    },
    { retryForSeconds: RETRY_FOR_SECONDS },
  );
  return queue;
}

export type BillingJobs = ReturnType<typeof createBillingJobs>;
