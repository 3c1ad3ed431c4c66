import { eq } from "drizzle-orm";
import type { Config } from "../../config/env.ts";
import type { Db } from "../../db/client.ts";
import { organisations, users } from "../../db/schema/index.ts";
import { withOrg, withSystem } from "../../db/tenant.ts";
import type { AccountContext, AuthContext, ClientOrigin } from "../../lib/auth-context.ts";
import { ConflictError, InvalidInputError, NotFoundError } from "../../lib/errors.ts";
import type { AuthResult } from "../../lib/schemas.ts";
import type { PlanName } from "../../lib/vocabulary.ts";
import { type Activity, recordActivity, recordActivityInOwnTransaction, summaryOf } from "../activity/index.ts";
import { announceAuthChange, type SessionService } from "../sessions/index.ts";
import { deleteOrganisationIn, foundOrganisation } from "./founding.ts";
import type { OrganisationCache } from "./organisation-cache.ts";
import type { Organisation, OrganisationSecurity } from "./organisations.schemas.ts";
import { writePlanChange } from "./plan-change.ts";
import { memberLimitOf } from "./plans.ts";
import { lockOrganisation, lockSeats } from "./seats.ts";

type Deps = { db: Db; config: Pick<Config, "BILLING_PROVIDER">; organisationCache: OrganisationCache; sessions: SessionService };

export function createOrganisationService({ db, config, organisationCache, sessions }: Deps) {
  return {
    /**
     * Another organisation, founded by the caller as its ADMIN, and a session in it: a
     * descendant of the caller's session (as switch-organisation makes), so it dies with it.
     */
    create: (account: AccountContext, name: string, origin: ClientOrigin): Promise<AuthResult> =>
      withSystem(db, async (tx) => {
        const organisation = await foundOrganisation(tx, name, account.userId);
        const owner = { userId: account.userId, orgId: organisation.id, role: "ADMIN" as const };
        const tokens = await sessions.start(tx, owner, origin, { kind: "session", sessionId: account.sessionId });
        return { ...tokens, user: { id: account.userId, name: account.name, email: account.email, role: "ADMIN" }, organisation };
      }),

    get: (auth: AuthContext): Promise<Organisation> => organisationCache.get(auth.orgId),

    /**
     * Moves to `plan`. A downgrade that the current members and pending invites would not fit is
     * refused. With billing on, only the subscription moves the plan (billing module).
     */
    changePlan: (auth: AuthContext, plan: PlanName): Promise<Organisation> => {
      if (config.BILLING_PROVIDER !== "none") {
        throw new ConflictError(
          "Plans are paid for through billing here: use POST /api/billing/checkout or /api/billing/portal",
          "BILLING_MANAGED",
        );
      }
      return withOrg(db, auth.orgId, async (tx) => {
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
        await writePlanChange(tx, auth, seats.plan, plan);
        return organisationCache.inTransaction(tx, auth.orgId);
      });
    },

    /**
     * Requires (or stops requiring) a second factor of every member. The ADMIN turning it on must
     * have one, or they would narrow their own session. Every instance re-reads what its cached
     * sessions and open sockets of the organisation may do.
     */
    changeSecurity: (auth: AuthContext, requireTwoFactor: boolean): Promise<OrganisationSecurity> =>
      withOrg(db, auth.orgId, async (tx) => {
        await lockOrganisation(tx, auth.orgId);
        const [caller] = await tx.select({ has: users.hasSecondFactor }).from(users).where(eq(users.id, auth.userId));
        if (requireTwoFactor && !caller?.has) {
          throw new ConflictError("Set up a second factor for yourself first (an authenticator app or a passkey)");
        }
        const [current] = await tx
          .select({ requireTwoFactor: organisations.requireTwoFactor })
          .from(organisations)
          .where(eq(organisations.id, auth.orgId));
        if (current?.requireTwoFactor !== requireTwoFactor) {
          await tx.update(organisations).set({ requireTwoFactor, updatedAt: new Date() }).where(eq(organisations.id, auth.orgId));
          await recordActivity(tx, auth, { type: "SECURITY_POLICY_CHANGED", payload: { requireTwoFactor, changedBy: summaryOf(auth) } });
          await announceAuthChange(tx, { kind: "requirements", orgId: auth.orgId });
        }
        return { requireTwoFactor };
      }),

    /** Renames the organisation (its slug stays: links and integrations keep working). */
    rename: (auth: AuthContext, name: string): Promise<Organisation> =>
      withOrg(db, auth.orgId, async (tx) => {
        const [current] = await tx
          .select({ name: organisations.name })
          .from(organisations)
          .where(eq(organisations.id, auth.orgId))
          .for("no key update");
        if (!current) throw new NotFoundError("Organisation not found");
        if (current.name === name) throw new ConflictError(`The organisation is already called ${name}`);
        await tx.update(organisations).set({ name, updatedAt: new Date() }).where(eq(organisations.id, auth.orgId));
        await recordActivity(tx, auth, {
          type: "ORGANISATION_RENAMED",
          payload: { from: current.name, to: name, renamedBy: summaryOf(auth) },
        });
        return organisationCache.inTransaction(tx, auth.orgId);
      }),

    /**
     * Deletes the organisation and everything of it — members, invites, sessions, the activity
     * log, queued mail — in one transaction, once `confirmName` matches its name. Its sockets
     * close and its sessions die on every instance; members keep their other organisations.
     */
    async delete(auth: AuthContext, confirmName: string): Promise<void> {
      await withSystem(db, async (tx) => {
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
        await deleteOrganisationIn(tx, auth.orgId);
      });
    },

    /** A message to everyone in the organisation: stored in the feed, pushed to every socket. */
    broadcast: (auth: AuthContext, message: string): Promise<Activity> =>
      recordActivityInOwnTransaction(db, auth, {
        type: "BROADCAST_MESSAGE",
        payload: { message, sentBy: summaryOf(auth), sentAt: new Date().toISOString() },
      }),
  };
}
