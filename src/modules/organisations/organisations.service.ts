import { eq } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { organisations } from "../../db/schema/index.ts";
import { afterCommit, withOrg, withSystem } from "../../db/tenant.ts";
import type { AuthContext } from "../../lib/auth-context.ts";
import { ConflictError, InvalidInputError, NotFoundError } from "../../lib/errors.ts";
import type { PlanName } from "../../lib/vocabulary.ts";
import { type Activity, recordActivity, recordActivityAlone, summaryOf } from "../activity/index.ts";
import { type AuthChange, announceAuthChange, type SessionGuard } from "../access/index.ts";
import type { Organisation } from "./organisations.schemas.ts";
import { isUpgrade, memberLimitOf } from "./plans.ts";
import { lockSeats } from "./seats.ts";
import type { OrganisationViews } from "./views.ts";

type Deps = { db: Db; views: OrganisationViews; guard: SessionGuard };

export function createOrganisationService({ db, views, guard }: Deps) {
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

    /** Renames the organisation (its slug stays: links and integrations keep working). */
    rename: (auth: AuthContext, name: string): Promise<Organisation> =>
      afterCommit(
        () => views.forget(auth.orgId),
        withOrg(db, auth.orgId, async (tx) => {
          const [current] = await tx
            .select({ name: organisations.name })
            .from(organisations)
            .where(eq(organisations.id, auth.orgId))
            .for("no key update");
          if (!current) throw new NotFoundError("Organisation not found");
          if (current.name === name) throw new ConflictError(`The organisation is already called ${name}`);
          await tx.update(organisations).set({ name, updatedAt: new Date() }).where(eq(organisations.id, auth.orgId));
          await recordActivity(tx, auth, { type: "ORGANISATION_RENAMED", payload: { from: current.name, to: name, renamedBy: summaryOf(auth) } });
          return views.inTransaction(tx, auth.orgId);
        }),
      ),

    /**
     * Deletes the organisation and everything of it — members, invites, sessions, the activity
     * log, queued mail — in one transaction, once `confirmName` matches its name. Its sockets
     * close and its sessions die on every instance; members keep their other organisations.
     */
    async delete(auth: AuthContext, confirmName: string): Promise<void> {
      const change = await withSystem(db, async (tx) => {
        const [current] = await tx
          .select({ name: organisations.name })
          .from(organisations)
          .where(eq(organisations.id, auth.orgId))
          .for("update");
        if (!current) throw new NotFoundError("Organisation not found");
        if (current.name !== confirmName) {
          throw new InvalidInputError("confirmName must be the organisation's exact name", [
            { path: "confirmName", message: "Does not match the organisation's name" },
          ]);
        }
        const change: AuthChange = { kind: "organisation", orgId: auth.orgId };
        await announceAuthChange(tx, change);
        await tx.delete(organisations).where(eq(organisations.id, auth.orgId));
        return change;
      });
      guard.apply(change);
      views.forget(auth.orgId);
    },

    /** A message to everyone in the organisation: stored in the feed, pushed to every socket. */
    broadcast: (auth: AuthContext, message: string): Promise<Activity> =>
      recordActivityAlone(db, auth, {
        type: "BROADCAST_MESSAGE",
        payload: { message, sentBy: summaryOf(auth), sentAt: new Date().toISOString() },
      }),
  };
}
