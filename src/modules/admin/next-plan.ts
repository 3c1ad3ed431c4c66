import { eq } from "drizzle-orm";
import type { Config } from "../../config/env.ts";
import type { Tx } from "../../db/client.ts";
import { billingSubscriptions } from "../../db/schema/index.ts";
import type { PlanName } from "../../lib/vocabulary.ts";
import { entitledPlan } from "../billing/index.ts";

export type NextPlanAfterComp = (tx: Tx, organisationId: string, previous: PlanName | null) => Promise<PlanName>;

/** When a comp ends: with billing, what the subscription grants now; without, the plan the comp replaced. */
export const nextPlanAfterComp =
  (config: Pick<Config, "BILLING_PROVIDER" | "BILLING_GRACE_DAYS">): NextPlanAfterComp =>
  async (tx, organisationId, previous) => {
    if (config.BILLING_PROVIDER === "none") return previous ?? "FREE";
    const [standing] = await tx.select().from(billingSubscriptions).where(eq(billingSubscriptions.organisationId, organisationId));
    return entitledPlan(standing, config.BILLING_GRACE_DAYS);
  };
