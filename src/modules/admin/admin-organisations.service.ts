import { eq, sql } from "drizzle-orm";
import type { Tx } from "../../db/client.ts";
import { billingSubscriptions, memberships, organisations, users } from "../../db/schema/index.ts";
import { queryRows } from "../../db/sql.ts";
import { cutPage, decodeTimeKey, encodeTimeKey } from "../../lib/cursor.ts";
import { ConflictError, InvalidInputError, NotFoundError } from "../../lib/errors.ts";
import type { PlanName } from "../../lib/vocabulary.ts";
import { recordActivity } from "../activity/index.ts";
import type { OrganisationExport } from "../data-export/index.ts";
import { applyComp, compOf, deleteOrganisationIn, endComp } from "../organisations/index.ts";
import { announceAuthChange } from "../sessions/index.ts";
import type { AdminOrganisation, AdminOrganisationDetail, OrganisationSearch } from "./admin.schemas.ts";
import { containing, iso, type OperatorScope } from "./admin-scope.ts";
import type { Operator } from "./operators.ts";

type OrganisationRow = {
  id: string;
  name: string;
  slug: string;
  plan: PlanName;
  created_at: Date;
  suspended_at: Date | null;
  member_count: number;
};

const toAdminOrganisation = (row: OrganisationRow): AdminOrganisation => ({
  id: row.id,
  name: row.name,
  slug: row.slug,
  plan: row.plan,
  memberCount: row.member_count,
  status: row.suspended_at ? "suspended" : "active",
  createdAt: new Date(row.created_at).toISOString(),
});

type Deps = {
  act: OperatorScope;
  exports: OrganisationExport;
  nextPlanAfterComp: (tx: Tx, organisationId: string, previous: PlanName | null) => Promise<PlanName>;
};

/** What operators do to organisations: search, show, suspend, comp a plan, delete, export. */
export function createOrganisationOperations({ act, exports, nextPlanAfterComp }: Deps) {
  async function lockedOrganisation(tx: Tx, id: string) {
    const [organisation] = await tx.select().from(organisations).where(eq(organisations.id, id)).for("no key update");
    if (!organisation) throw new NotFoundError("Organisation not found");
    return organisation;
  }

  return {
    searchOrganisations: (operator: Operator, search: OrganisationSearch) =>
      act(operator, { action: "organisations.search", target: { type: "platform" }, detail: { ...search } }, async (tx) => {
        const after = search.cursor ? decodeTimeKey(search.cursor) : undefined;
        const rows = await queryRows<OrganisationRow>(
          tx,
          sql`select o.id, o.name, o.slug, o.subscription_plan as plan, o.created_at, o.suspended_at,
                     (select count(*) from memberships m where m.organisation_id = o.id)::int as member_count
              from organisations o
              where true
                ${search.query ? sql`and (o.name ilike ${containing(search.query)} or o.slug ilike ${containing(search.query)})` : sql``}
                ${search.plan ? sql`and o.subscription_plan = ${search.plan}` : sql``}
                ${search.status === "suspended" ? sql`and o.suspended_at is not null` : search.status === "active" ? sql`and o.suspended_at is null` : sql``}
                ${after ? sql`and (o.created_at, o.id) < (${after.at.toISOString()}::timestamptz, ${after.id}::uuid)` : sql``}
              order by o.created_at desc, o.id desc
              limit ${search.limit + 1}`,
        );
        const page = cutPage(rows, search.limit, (last) => encodeTimeKey({ at: new Date(last.created_at), id: last.id }));
        return { items: page.items.map(toAdminOrganisation), nextCursor: page.nextCursor };
      }),

    showOrganisation: (operator: Operator, id: string): Promise<AdminOrganisationDetail> =>
      act(operator, { action: "organisation.show", target: { type: "organisation", id } }, async (tx) => {
        const [row] = await queryRows<OrganisationRow & { suspended_reason: string | null }>(
          tx,
          sql`select o.id, o.name, o.slug, o.subscription_plan as plan, o.created_at, o.suspended_at, o.suspended_reason,
                     (select count(*) from memberships m where m.organisation_id = o.id)::int as member_count
              from organisations o where o.id = ${id}`,
        );
        if (!row) throw new NotFoundError("Organisation not found");
        const [billing] = await tx.select().from(billingSubscriptions).where(eq(billingSubscriptions.organisationId, id));
        const comp = await compOf(tx, id);
        const members = await tx
          .select({ userId: users.id, name: users.name, email: users.email, role: memberships.role, joinedAt: memberships.createdAt })
          .from(memberships)
          .innerJoin(users, eq(users.id, memberships.userId))
          .where(eq(memberships.organisationId, id))
          .orderBy(memberships.createdAt);
        const activities = await queryRows<{ id: string; type: string; message: string; created_at: Date }>(
          tx,
          sql`select id::text, type, message, created_at from activities where organisation_id = ${id} order by id desc limit 50`,
        );
        return {
          ...toAdminOrganisation(row),
          suspendedAt: iso(row.suspended_at),
          suspendedReason: row.suspended_reason,
          comp: comp ? { plan: comp.plan, until: iso(comp.until), reason: comp.reason } : null,
          billing: billing ? { status: billing.status, plan: billing.pricePlan, currentPeriodEnd: iso(billing.currentPeriodEnd) } : null,
          members: members.map((member) => ({ ...member, joinedAt: member.joinedAt.toISOString() })),
          activities: activities.map(({ created_at, ...activity }) => ({ ...activity, createdAt: new Date(created_at).toISOString() })),
        };
      }),

    /** Its members get 403 ORGANISATION_SUSPENDED on every tenant route, on every instance, and their sockets close (4005). */
    suspend: (operator: Operator, id: string, reason: string) =>
      act(operator, { action: "organisation.suspend", target: { type: "organisation", id }, reason }, async (tx) => {
        const organisation = await lockedOrganisation(tx, id);
        if (organisation.suspendedAt) throw new ConflictError("The organisation is already suspended");
        const suspendedAt = new Date();
        await tx.update(organisations).set({ suspendedAt, suspendedReason: reason }).where(eq(organisations.id, id));
        await recordActivity(
          tx,
          { orgId: id },
          { type: "ORGANISATION_SUSPENDED", payload: { reason, suspendedAt: suspendedAt.toISOString() } },
        );
        await announceAuthChange(tx, { kind: "requirements", orgId: id });
      }),

    unsuspend: (operator: Operator, id: string, reason: string) =>
      act(operator, { action: "organisation.unsuspend", target: { type: "organisation", id }, reason }, async (tx) => {
        const organisation = await lockedOrganisation(tx, id);
        if (!organisation.suspendedAt) throw new ConflictError("The organisation is not suspended");
        await tx.update(organisations).set({ suspendedAt: null, suspendedReason: null }).where(eq(organisations.id, id));
        await recordActivity(
          tx,
          { orgId: id },
          { type: "ORGANISATION_UNSUSPENDED", payload: { reason, unsuspendedAt: new Date().toISOString() } },
        );
        await announceAuthChange(tx, { kind: "requirements", orgId: id });
      }),

    /** A comp: the plan by hand, until `until` (or until lifted with `plan: null`); billing does not override it meanwhile. */
    setPlan: (operator: Operator, id: string, change: { plan: PlanName | null; reason: string; until?: string | undefined }) =>
      act(
        operator,
        {
          action: "organisation.comp",
          target: { type: "organisation", id },
          reason: change.reason,
          detail: { plan: change.plan, until: change.until ?? null },
        },
        async (tx) => {
          await lockedOrganisation(tx, id);
          const until = change.until ? new Date(change.until) : null;
          if (until && until <= new Date()) {
            const message = "until must be in the future";
            throw new InvalidInputError(message, [{ path: "until", message }]);
          }
          if (change.plan === null) {
            if (!(await compOf(tx, id))) throw new ConflictError("The organisation has no comp to lift");
            await endComp(tx, id, (previous) => nextPlanAfterComp(tx, id, previous));
          } else {
            await applyComp(tx, id, { plan: change.plan, until, reason: change.reason });
          }
          const [row] = await tx.select({ plan: organisations.subscriptionPlan }).from(organisations).where(eq(organisations.id, id));
          return {
            plan: row?.plan ?? "FREE",
            comp: change.plan === null ? null : { plan: change.plan, until: iso(until), reason: change.reason },
          };
        },
      ),

    /** With the same guarantees as its ADMIN's deletion (organisations module): one transaction, sessions and sockets end everywhere. */
    deleteOrganisation: (operator: Operator, id: string, reason: string) =>
      act(operator, { action: "organisation.delete", target: { type: "organisation", id }, reason }, async (tx) => {
        await lockedOrganisation(tx, id);
        await deleteOrganisationIn(tx, id);
      }),

    /** The export's audit row commits first; then the stream (which reads as the tenant, as its ADMIN's export does). */
    async exportOrganisation(operator: Operator, id: string) {
      await act(operator, { action: "organisation.export", target: { type: "organisation", id } }, async (tx) => {
        await lockedOrganisation(tx, id);
      });
      return exports.stream(id);
    },
  };
}
