import { eq } from "drizzle-orm";
import type { Tx } from "../../db/client.ts";
import { organisations } from "../../db/schema/index.ts";
import type { PlanName } from "../../lib/vocabulary.ts";
import { type ActivityAuthor, recordActivity, type SystemAuthor } from "../activity/index.ts";
import { isUpgrade } from "./plans.ts";
import { lockOrganisation } from "./seats.ts";

/**
 * Writes the organisation's new plan and its PLAN_UPGRADED or PLAN_DOWNGRADED, whose
 * notification forgets the cached view and reaches the sockets on every instance. The caller
 * holds the organisation lock and has made its checks.
 */
export async function writePlanChange(tx: Tx, author: ActivityAuthor | SystemAuthor, from: PlanName, to: PlanName) {
  const changedAt = new Date().toISOString();
  const source = "userId" in author ? {} : { source: "billing" as const };
  await tx
    .update(organisations)
    .set({ subscriptionPlan: to, updatedAt: new Date(changedAt) })
    .where(eq(organisations.id, author.orgId));
  await recordActivity(
    tx,
    author,
    isUpgrade(from, to)
      ? { type: "PLAN_UPGRADED", payload: { from, to, upgradedAt: changedAt, ...source } }
      : { type: "PLAN_DOWNGRADED", payload: { from, to, downgradedAt: changedAt, ...source } },
  );
}

/**
 * The plan a subscription grants, applied. Never refused: a downgrade leaves members over the
 * new limit in place, and invites and accepts answer PLAN_LIMIT_REACHED until it fits again.
 * Returns whether the plan changed (an unchanged plan writes nothing).
 */
export async function applyPlanFromBilling(tx: Tx, organisationId: string, plan: PlanName): Promise<boolean> {
  const current = await lockOrganisation(tx, organisationId);
  if (current === plan) return false;
  await writePlanChange(tx, { orgId: organisationId }, current, plan);
  return true;
}
