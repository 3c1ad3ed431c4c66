import { and, eq, ne, sql } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { billingSubscriptions, organisations } from "../../db/schema/index.ts";
import { withSystem } from "../../db/tenant.ts";
import type { Logger } from "../../lib/logger.ts";
import { lockBilling, type SubscriptionSync } from "./subscription-sync.ts";

const SWEEP_EVERY_MS = 60_000;

/**
 * A grace period runs out with no event from Stripe: every minute, organisations still on a paid
 * plan whose subscription has been past due for longer than BILLING_GRACE_DAYS move to FREE.
 * Any instance may sweep; the billing lock and the plan check make a second sweep a no-op.
 */
export function createGraceSweep({ db, sync, graceDays, logger }: { db: Db; sync: SubscriptionSync; graceDays: number; logger: Logger }) {
  let timer: ReturnType<typeof setInterval> | undefined;
  let running: Promise<number> | undefined;

  async function sweep(): Promise<number> {
    const expired = await withSystem(db, (tx) =>
      tx
        .select({ organisationId: billingSubscriptions.organisationId })
        .from(billingSubscriptions)
        .innerJoin(organisations, eq(organisations.id, billingSubscriptions.organisationId))
        .where(
          and(
            eq(billingSubscriptions.status, "past_due"),
            sql`${billingSubscriptions.pastDueSince} + make_interval(days => ${graceDays}) <= now()`,
            ne(organisations.subscriptionPlan, "FREE"),
          ),
        ),
    );
    for (const { organisationId } of expired) {
      await withSystem(db, async (tx) => {
        await lockBilling(tx, organisationId);
        await sync.applyEntitlement(tx, organisationId);
      });
      logger.info("billing: a past-due subscription's grace ran out; the organisation is on FREE", { organisationId });
    }
    return expired.length;
  }

  const runOnce = () =>
    (running ??= sweep()
      .catch((error) => {
        logger.warn("billing: grace sweep failed; will retry", { error: error instanceof Error ? error.message : String(error) });
        return 0;
      })
      .finally(() => {
        running = undefined;
      }));

  return {
    /** Moves every organisation whose grace ran out to FREE; resolves with how many. */
    sweep: runOnce,
    start() {
      timer = setInterval(runOnce, SWEEP_EVERY_MS);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

export type GraceSweep = ReturnType<typeof createGraceSweep>;
