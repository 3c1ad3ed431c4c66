import { eq } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { organisations } from "../../db/schema/index.ts";
import { afterCommit, withOrg } from "../../db/tenant.ts";
import type { AuthContext } from "../../lib/auth-context.ts";
import { ConflictError } from "../../lib/errors.ts";
import type { PlanName } from "../../lib/vocabulary.ts";
import { type Activity, recordActivity, recordActivityAlone, summaryOf } from "../activity/index.ts";
import type { Organisation } from "./organisations.schemas.ts";
import { isUpgrade, memberLimitOf } from "./plans.ts";
import { lockSeats } from "./seats.ts";
import type { OrganisationViews } from "./views.ts";

export function createOrganisationService({ db, views }: { db: Db; views: OrganisationViews }) {
  return {
    get: (auth: AuthContext): Promise<Organisation> => views.get(auth.orgId),

    /** Moves to `plan`. A downgrade that the current members and pending invites would not fit is refused. */
    changePlan: (auth: AuthContext, plan: PlanName): Promise<Organisation> =>
      afterCommit(() => views.forget(auth.orgId), withOrg(db, auth.orgId, async (tx) => {
        const seats = await lockSeats(tx, auth.orgId);
        if (seats.plan === plan) throw new ConflictError(`The organisation is already on the ${plan} plan`);
        const occupied = seats.members + seats.pendingInvites;
        const limit = memberLimitOf(plan);
        if (limit !== null && occupied > limit) {
          throw new ConflictError(
            `The ${plan} plan allows ${limit} members including pending invites; this organisation has ${occupied}. ` +
              "Remove members or revoke invites first.",
          );
        }
        const changedAt = new Date();
        await tx.update(organisations).set({ subscriptionPlan: plan, updatedAt: changedAt }).where(eq(organisations.id, auth.orgId));
        await recordActivity(
          tx,
          auth,
          isUpgrade(seats.plan, plan)
            ? { type: "PLAN_UPGRADED", payload: { from: seats.plan, to: plan, upgradedAt: changedAt.toISOString() } }
            : { type: "PLAN_DOWNGRADED", payload: { from: seats.plan, to: plan, downgradedAt: changedAt.toISOString() } },
        );
        return views.inTransaction(tx, auth.orgId);
      })),

    /** A message to everyone in the organisation: stored in the feed, pushed to every socket. */
    broadcast: (auth: AuthContext, message: string): Promise<Activity> =>
      recordActivityAlone(db, auth, {
        type: "BROADCAST_MESSAGE",
        payload: { message, sentBy: summaryOf(auth), sentAt: new Date().toISOString() },
      }),
  };
}
