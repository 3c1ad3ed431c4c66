import { type SQL, sql } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { queryRows } from "../../db/sql.ts";
import { readInOrg, withSystem } from "../../db/tenant.ts";
import { chunkedStream } from "../../lib/chunked-stream.ts";
import type { Logger } from "../../lib/logger.ts";

const BATCH = 1000;
const iso = (column: string) => sql.raw(`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`);

/**
 * Each table's rows as NDJSON lines built by PostgreSQL: `{ "table", "row" }`. Every column is
 * named here, so nothing is exported by accident — no token hash, no password hash, no secret:
 * invitations without their token, members without their credentials, billing without keys.
 */
const TABLES = {
  organisation: (id: string) => sql`
    select json_build_object('table', 'organisation', 'row', json_build_object(
      'id', o.id, 'name', o.name, 'slug', o.slug, 'subscriptionPlan', o.subscription_plan, 'createdAt', ${iso("o.created_at")},
      'requireTwoFactor', o.require_two_factor, 'suspendedAt', ${iso("o.suspended_at")}, 'compPlan', o.comp_plan,
      'compUntil', ${iso("o.comp_until")}, 'billingCustomerId', o.billing_customer_id))::text as line
    from organisations o where o.id = ${id}`,
  memberships: (id: string) => sql`
    select json_build_object('table', 'memberships', 'row', json_build_object(
      'userId', m.user_id, 'name', u.name, 'email', u.email, 'role', m.role, 'joinedAt', ${iso("m.created_at")}))::text as line
    from memberships m join users u on u.id = m.user_id where m.organisation_id = ${id} order by m.created_at, m.user_id`,
  invites: (id: string) => sql`
    select json_build_object('table', 'invites', 'row', json_build_object(
      'id', i.id, 'email', i.email, 'role', i.role, 'status', i.status, 'expiresAt', ${iso("i.expires_at")},
      'createdAt', ${iso("i.created_at")}))::text as line
    from invites i where i.organisation_id = ${id} order by i.created_at, i.id`,
  activities: (id: string, afterId: string) => sql`
    select a.id::text as id, json_build_object('table', 'activities', 'row', json_build_object(
      'id', a.id::text, 'type', a.type, 'message', a.message, 'actor', a.actor, 'target', a.target, 'metadata', a.metadata,
      'createdAt', ${iso("a.created_at")}, 'requestId', a.request_id, 'ip', a.ip, 'userAgent', a.user_agent))::text as line
    from activities a where a.organisation_id = ${id} and a.id > ${afterId}::bigint order by a.id limit ${BATCH}`,
  billing: (id: string) => sql`
    select json_build_object('table', 'billing', 'row', json_build_object(
      'customerId', b.customer_id, 'subscriptionId', b.subscription_id, 'status', b.status, 'plan', b.price_plan,
      'priceId', b.price_id, 'quantity', b.quantity, 'trialEnd', ${iso("b.trial_end")}, 'currentPeriodEnd', ${iso("b.current_period_end")},
      'cancelAtPeriodEnd', b.cancel_at_period_end))::text as line
    from billing_subscriptions b where b.organisation_id = ${id}`,
};

/** What ends a complete export: a body without it was cut short. */
export const endOfExport = (counts: Record<string, number>) => `${JSON.stringify({ endOfExport: true, counts })}\n`;

/**
 * One organisation's data, for backup and portability: the organisation, its members (with
 * names and emails), invitations, every activity (in id order, a thousand at a time, so memory
 * stays flat however long the log) and its billing state, one NDJSON line per row, then a
 * trailer with the counts. Tenant rows are read as the tenant (row-level security binds them,
 * whoever asked); billing is the system's table, read for that organisation only.
 */
export function createOrganisationExport(db: Db, logger: Logger) {
  async function* lines(organisationId: string): AsyncGenerator<string> {
    const tenantRead = (query: SQL) => readInOrg<{ line: string; id?: string }>(db, organisationId, query);
    const counts: Record<string, number> = {};
    const emit = (table: string, rows: Array<{ line: string }>) => {
      counts[table] = (counts[table] ?? 0) + rows.length;
      return rows.length > 0 ? `${rows.map((row) => row.line).join("\n")}\n` : "";
    };
    yield emit("organisation", await tenantRead(TABLES.organisation(organisationId)));
    yield emit("memberships", await tenantRead(TABLES.memberships(organisationId)));
    yield emit("invites", await tenantRead(TABLES.invites(organisationId)));
    for (let afterId = "0"; ; ) {
      const batch = await tenantRead(TABLES.activities(organisationId, afterId));
      if (batch.length > 0) yield emit("activities", batch);
      if (batch.length < BATCH) break;
      afterId = batch.at(-1)?.id ?? afterId;
    }
    counts.activities ??= 0;
    yield emit("billing", await withSystem(db, (tx) => queryRows<{ line: string }>(tx, TABLES.billing(organisationId))));
    yield endOfExport(counts);
  }

  return {
    /** The export as a response body; the first chunk is read before it returns (a failure then is an ordinary error). */
    stream: (organisationId: string) =>
      chunkedStream(lines(organisationId), (error) =>
        logger.error("organisation export failed mid-stream", {
          organisationId,
          error: error instanceof Error ? error.message : String(error),
        }),
      ),
  };
}

export type OrganisationExport = ReturnType<typeof createOrganisationExport>;
