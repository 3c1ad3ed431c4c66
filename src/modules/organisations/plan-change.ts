import { and, eq, gt, isNotNull, isNull, or, sql } from "drizzle-orm";
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
export async function writePlanChange(
  tx: Tx,
  author: ActivityAuthor | SystemAuthor,
  from: PlanName,
  to: PlanName,
  by: "billing" | "comp" = "billing",
) {
  const changedAt = new Date().toISOString();
  const source = "userId" in author ? {} : { source: by };
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
  // While an operator's comp lasts it is the plan: billing's word waits until it ends.
  if (await compOf(tx, organisationId)) return false;
  if (current === plan) return false;
  await writePlanChange(tx, { orgId: organisationId }, current, plan);
  return true;
}

/** The organisation's comp, if one is in force now. */
export async function compOf(
  tx: Tx,
  organisationId: string,
): Promise<{ plan: PlanName; until: Date | null; reason: string | null } | null> {
  const [row] = await tx
    .select({ plan: organisations.compPlan, until: organisations.compUntil, reason: organisations.compReason })
    .from(organisations)
    .where(
      and(
        eq(organisations.id, organisationId),
        isNotNull(organisations.compPlan),
        or(isNull(organisations.compUntil), gt(organisations.compUntil, sql`now()`)),
      ),
    );
  return row?.plan ? { plan: row.plan, until: row.until, reason: row.reason } : null;
}

/**
 * An operator sets the plan by hand (a comp) until `until` (or until lifted). Never refused, as a
 * downgrade from billing is not; the plan it replaced is kept to go back to when there is no billing.
 */
export async function applyComp(tx: Tx, organisationId: string, comp: { plan: PlanName; until: Date | null; reason: string }) {
  const current = await lockOrganisation(tx, organisationId);
  const [row] = await tx
    .select({ previous: organisations.compPreviousPlan, comp: organisations.compPlan })
    .from(organisations)
    .where(eq(organisations.id, organisationId));
  await tx
    .update(organisations)
    .set({ compPlan: comp.plan, compUntil: comp.until, compReason: comp.reason, compPreviousPlan: row?.comp ? row.previous : current })
    .where(eq(organisations.id, organisationId));
  if (current !== comp.plan) await writePlanChange(tx, { orgId: organisationId }, current, comp.plan, "comp");
}

/** A comp ended (lapsed or lifted): the plan becomes `next` (what billing grants, or the plan before the comp). */
export async function endComp(tx: Tx, organisationId: string, next: (previous: PlanName | null) => PlanName | Promise<PlanName>) {
  const current = await lockOrganisation(tx, organisationId);
  const [row] = await tx
    .select({ previous: organisations.compPreviousPlan })
    .from(organisations)
    .where(eq(organisations.id, organisationId));
  await tx
    .update(organisations)
    .set({ compPlan: null, compUntil: null, compReason: null, compPreviousPlan: null })
    .where(eq(organisations.id, organisationId));
  const plan = await next(row?.previous ?? null);
  if (plan !== current) await writePlanChange(tx, { orgId: organisationId }, current, plan, "comp");
}
