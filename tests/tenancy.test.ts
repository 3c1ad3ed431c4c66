import { beforeAll, describe, expect, test } from "bun:test";
import { eq, sql } from "drizzle-orm";
import type { Db, Tx } from "../src/db/client.ts";
import { activities, invites, memberships, organisations, refreshTokens, sessions, users } from "../src/db/schema/index.ts";
import { queryRows } from "../src/db/sql.ts";
import { statementInOrg, withOrg, withSystem } from "../src/db/tenant.ts";
import { recordActivity } from "../src/modules/activity/activity.record.ts";
import { databaseError, testDatabase } from "./support/database.ts";
import { registerOrg, type Session } from "./support/fixtures.ts";
import { useTestServer } from "./support/server.ts";

const { api } = useTestServer();

// PostgreSQL exempts superusers from row-level security, so forced RLS on the owner can only be
// shown when the tests connect as an ordinary owner (as CI's PostgreSQL run does).
const [role] = await queryRows<{ superuser: boolean }>(
  (await testDatabase()).database.db,
  sql`select rolsuper as superuser from pg_roles where rolname = current_user`,
);
const connectedAsSuperuser = role?.superuser ?? true;
if (connectedAsSuperuser) console.log("skipped: forced RLS on the owner role (connected as a superuser, which RLS never binds)");
let db: Db;
let a: Session;
let b: Session;

/** Rows of every organisation-scoped table exist for both organisations. */
async function seedTenant(tenant: Session) {
  await withSystem(db, async (tx) => {
    await tx.insert(invites).values({
      organisationId: tenant.organisation.id,
      email: `invitee-${tenant.organisation.id}@example.com`,
      role: "MEMBER",
      tokenHash: `hash-${tenant.organisation.id}`,
      invitedBy: tenant.user.id,
      expiresAt: new Date(Date.now() + 86_400_000),
    });
    await recordActivity(
      tx,
      { orgId: tenant.organisation.id, userId: tenant.user.id, name: tenant.user.name, email: tenant.email },
      {
        type: "BROADCAST_MESSAGE",
        payload: {
          message: "hello",
          sentBy: { id: tenant.user.id, name: tenant.user.name, email: tenant.email },
          sentAt: new Date().toISOString(),
        },
      },
    );
  });
}

beforeAll(async () => {
  db = (await testDatabase()).database.db;
  [a, b] = await Promise.all([registerOrg(api), registerOrg(api)]);
  await Promise.all([seedTenant(a), seedTenant(b)]);
});

describe("row-level security inside withOrg", () => {
  const scoped = [
    ["organisations", (tx: Tx) => tx.select({ org: organisations.id }).from(organisations)],
    ["memberships", (tx: Tx) => tx.select({ org: memberships.organisationId }).from(memberships)],
    ["invites", (tx: Tx) => tx.select({ org: invites.organisationId }).from(invites)],
    ["sessions", (tx: Tx) => tx.select({ org: sessions.organisationId }).from(sessions)],
    ["activities", (tx: Tx) => tx.select({ org: activities.organisationId }).from(activities)],
  ] as const;

  test.each(scoped)("a select on %s with no WHERE clause sees only the organisation's rows", async (_, query) => {
    const rows = await withOrg(db, a.organisation.id, query);
    expect(rows.length).toBeGreaterThan(0);
    expect(new Set(rows.map((row) => row.org))).toEqual(new Set([a.organisation.id]));
  });

  test("users are visible only while they are members of the organisation", async () => {
    const visible = await withOrg(db, a.organisation.id, (tx) => tx.select({ id: users.id }).from(users));
    expect(visible.map((user) => user.id)).toEqual([a.user.id]);
  });

  test("inserting a row for another organisation fails", async () => {
    const activity = withOrg(db, a.organisation.id, (tx) =>
      tx
        .insert(activities)
        .values({ organisationId: b.organisation.id, id: 999_999n, type: "BROADCAST_MESSAGE", message: "x", metadata: {} }),
    );
    expect(await databaseError(activity)).toMatch(/row-level security/);
    const membership = withOrg(db, a.organisation.id, (tx) =>
      tx.insert(memberships).values({ organisationId: b.organisation.id, userId: a.user.id, role: "ADMIN" }),
    );
    expect(await databaseError(membership)).toMatch(/row-level security/);
    const bMembers = await withSystem(db, (tx) => tx.select().from(memberships).where(eq(memberships.organisationId, b.organisation.id)));
    expect(bMembers).toHaveLength(1);
  });

  test("an UPDATE with no WHERE clause changes only the organisation's own row", async () => {
    await withOrg(db, a.organisation.id, (tx) => tx.update(organisations).set({ name: "Renamed by A" }));
    const [bOrg] = await withSystem(db, (tx) =>
      tx.select({ name: organisations.name }).from(organisations).where(eq(organisations.id, b.organisation.id)),
    );
    expect(bOrg?.name).toBe(b.organisation.name);
    await withOrg(db, a.organisation.id, (tx) => tx.update(organisations).set({ name: a.organisation.name }));
  });

  test("the tenant role cannot read password hashes or refresh tokens", async () => {
    const hashes = withOrg(db, a.organisation.id, (tx) => tx.select({ hash: users.passwordHash }).from(users));
    expect(await databaseError(hashes)).toMatch(/permission denied/);
    const tokens = withOrg(db, a.organisation.id, (tx) => tx.select().from(refreshTokens));
    expect(await databaseError(tokens)).toMatch(/permission denied/);
  });

  test("the activity log is append-only for the tenant role", async () => {
    const rewrite = withOrg(db, a.organisation.id, (tx) => tx.update(activities).set({ message: "rewritten" }));
    expect(await databaseError(rewrite)).toMatch(/permission denied/);
    const erase = withOrg(db, a.organisation.id, (tx) => tx.delete(activities));
    expect(await databaseError(erase)).toMatch(/permission denied/);
  });

  test.if(!connectedAsSuperuser)("outside withOrg and withSystem the application's role sees no tenant rows", async () => {
    expect(await db.select({ id: memberships.userId }).from(memberships)).toEqual([]);
    expect(await db.select({ id: organisations.id }).from(organisations)).toEqual([]);
    expect(await db.select({ id: users.id }).from(users)).toEqual([]);
  });

  test("settings do not leak: after withOrg, the connection is back to its own role", async () => {
    await withOrg(db, a.organisation.id, (tx) => tx.execute(sql`select 1`));
    const [row] = await queryRows<{ role: string; org: string | null }>(
      db,
      sql`select current_user as role, current_setting('app.organisation_id', true) as org`,
    );
    expect(row?.role).not.toBe("app_tenant");
    expect(row?.org || null).toBeNull();
  });
});

// The hot reads' one-round-trip path (BEGIN, scope, statement and COMMIT pipelined on one
// reserved connection) must hold exactly what withOrg holds.
describe("row-level security inside statementInOrg", () => {
  test("a select with no WHERE clause sees only the organisation's rows", async () => {
    const rows = await statementInOrg<{ org: string }>(db, a.organisation.id, sql`select organisation_id as org from activities`);
    expect(rows.length).toBeGreaterThan(0);
    expect(new Set(rows.map((row) => row.org))).toEqual(new Set([a.organisation.id]));
  });

  test("a statement that fails rejects, and leaves every connection usable, outside the tenant role and the organisation", async () => {
    const failures = await Promise.allSettled(
      Array.from({ length: 20 }, () => statementInOrg(db, a.organisation.id, sql`select password_hash from users`)),
    );
    expect(failures.every((failure) => failure.status === "rejected")).toBe(true);
    // More concurrent reads than the pool has connections, held a moment, so every connection
    // answers. One left inside the failed transaction would refuse the read ("current
    // transaction is aborted"); one left scoped would answer as app_tenant.
    const states = await Promise.all(
      Array.from({ length: 20 }, () =>
        queryRows<{ role: string; org: string | null }>(
          db,
          sql`select current_user as role, current_setting('app.organisation_id', true) as org, pg_sleep(0.05)::text`,
        ),
      ),
    );
    for (const [state] of states) {
      expect(state?.role).not.toBe("app_tenant");
      expect(state?.org || null).toBeNull();
    }
  });
});
