import { and, count, eq, sql } from "drizzle-orm";
import type { Tx } from "../../db/client.ts";
import { memberships, organisations } from "../../db/schema/index.ts";
import { NotFoundError } from "../../lib/errors.ts";
import type { PlanName } from "../../lib/vocabulary.ts";

export type Seats = { plan: PlanName; members: number; pendingInvites: number };

/** Occupied seats of an organisation as select-list expressions: members, and invites still pending. */
export const seatCounts = (organisationId: string) => ({
  members: sql<number>`(select count(*) from memberships where organisation_id = ${organisationId})::int`,
  pendingInvites: sql<number>`(select count(*) from invites
    where organisation_id = ${organisationId} and status = 'PENDING' and expires_at > now())::int`,
});

/**
 * Locks the organisation row until `tx` ends and counts its occupied seats (members plus
 * pending invites). Every change that adds seats or lowers the limit goes through here, so
 * they queue one behind another and the limit holds under any concurrency.
 *
 * The count is deliberately a second statement: under READ COMMITTED a statement that waited
 * for the lock still reads from the snapshot it took before waiting, and would miss the seats
 * the previous lock holder just committed.
 */
export async function lockSeats(tx: Tx, organisationId: string): Promise<Seats> {
  const plan = await lockOrganisation(tx, organisationId);
  const [counts] = await tx.select(seatCounts(organisationId)).from(organisations).where(eq(organisations.id, organisationId));
  return { plan, members: counts?.members ?? 0, pendingInvites: counts?.pendingInvites ?? 0 };
}

/**
 * Locks the organisation row until `tx` ends and returns its plan. Changes to membership
 * take it first, so two admins demoting each other, or an accept racing a revoke, queue up
 * instead of both passing their checks.
 */
export async function lockOrganisation(tx: Tx, organisationId: string): Promise<PlanName> {
  const [organisation] = await tx
    .select({ plan: organisations.subscriptionPlan })
    .from(organisations)
    .where(eq(organisations.id, organisationId))
    .for("no key update");
  if (!organisation) throw new NotFoundError("Organisation not found");
  return organisation.plan;
}

/**
 * How many ADMINs the organisation has. Call it under the organisation lock, so that two
 * changes that each would leave one ADMIN (demotions, removals, leaving, deleting an account)
 * cannot both count two.
 */
export async function adminCount(tx: Tx, organisationId: string): Promise<number> {
  const [admins] = await tx
    .select({ count: count() })
    .from(memberships)
    .where(and(eq(memberships.organisationId, organisationId), eq(memberships.role, "ADMIN")));
  return admins?.count ?? 0;
}
