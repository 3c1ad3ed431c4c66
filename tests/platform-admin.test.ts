// The operators' side, over real HTTP on two instances: who is an operator (the grant, the second
// factor), organisations (search, show, suspend, comp, delete), users (search, show, sign out,
// disable), the per-organisation data export, and the audit of every action.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eq, sql } from "drizzle-orm";
import { platformAudit } from "../src/db/schema/index.ts";
import { queryRows } from "../src/db/sql.ts";
import * as adminRoutes from "../src/modules/admin/admin.routes.ts";
import * as authRoutes from "../src/modules/auth/auth.routes.ts";
import { type Client, createClient, parseSignIn, parseWith, refusalOf } from "./support/client.ts";
import { testDatabase } from "./support/database.ts";
import { inDatabase } from "./support/db-state.ts";
import { acceptInvite, addMember, invite, operatorSession, PASSWORD, registerOrg, type Session } from "./support/fixtures.ts";
import { startTestServer, type TestServer } from "./support/server.ts";
import { connectSocket } from "./support/socket.ts";

let one: TestServer;
let two: TestServer;
let api: Client;
let viaTwo: Client;
let operator: Awaited<ReturnType<typeof operatorSession>>;

beforeAll(async () => {
  one = await startTestServer();
  two = await startTestServer();
  api = createClient(one.base);
  viaTwo = createClient(two.base);
  operator = await operatorSession(api);
});
afterAll(() => Promise.all([one?.stop(), two?.stop()]));

const asOperator = (method: "GET" | "POST" | "DELETE", path: string, body?: unknown) =>
  api.call(method, path, { token: operator.accessToken, body });

const auditOf = (targetId: string) =>
  inDatabase((tx) => tx.select().from(platformAudit).where(eq(platformAudit.targetId, targetId)).orderBy(platformAudit.createdAt));

describe("who is an operator", () => {
  test("a tenant ADMIN gets 403; an operator signed in with the password alone gets 403 TWO_FACTOR_REQUIRED", async () => {
    const admin = await registerOrg(api);
    refusalOf(403, await api.get("/api/admin/organisations", { token: admin.accessToken }), "FORBIDDEN");
    refusalOf(403, await api.get("/api/admin/organisations", { token: operator.passwordOnly }), "TWO_FACTOR_REQUIRED");
    expect((await asOperator("GET", "/api/admin/organisations")).status).toBe(200);
  });

  test("the grant is the command line's: bun run admin:grant makes an account an operator", async () => {
    const account = await registerOrg(api);
    if (!(await testDatabase()).url) {
      console.log("skipped: the admin:grant process needs a PostgreSQL server (the embedded database is this process's)");
      return;
    }
    const run = Bun.spawnSync(["bun", "scripts/admin-grant.ts", account.email], {
      env: { ...process.env, DATABASE_URL: (await testDatabase()).url, LOG_LEVEL: "silent" },
      cwd: `${import.meta.dir}/..`,
    });
    expect(run.stdout.toString()).toContain("is now a platform operator");
    const [row] = await inDatabase((tx) =>
      queryRows<{ role: string }>(tx, sql`select platform_role as role from users where id = ${account.user.id}`),
    );
    expect(row?.role).toBe("admin");
    expect((await auditOf(account.user.id)).map((entry) => entry.action)).toContain("operator.grant");
  }, 30_000);
});

describe("organisations", () => {
  test("search by name, plan and status, with cursor pagination; every search is audited", async () => {
    const tag = `Needle${Date.now()}`;
    const created: Session[] = [];
    for (let i = 0; i < 3; i++) created.push(await registerOrg(api, { organisationName: `${tag} ${i}` }));
    const first = parseWith(adminRoutes.searchOrganisations, 200, await asOperator("GET", `/api/admin/organisations?query=${tag}&limit=2`));
    expect(first.data.map((org) => org.name)).toEqual([`${tag} 2`, `${tag} 1`]);
    expect(first.data[0]).toMatchObject({ plan: "FREE", memberCount: 1, status: "active" });
    const next = parseWith(
      adminRoutes.searchOrganisations,
      200,
      await asOperator("GET", `/api/admin/organisations?query=${tag}&limit=2&cursor=${first.meta.nextCursor}`),
    );
    expect(next.data.map((org) => org.name)).toEqual([`${tag} 0`]);
    expect(next.meta.nextCursor).toBeNull();
    const none = parseWith(adminRoutes.searchOrganisations, 200, await asOperator("GET", `/api/admin/organisations?query=${tag}&plan=PRO`));
    expect(none.data).toEqual([]);
    // A LIKE wildcard in the query is a character, not a pattern.
    expect(
      parseWith(adminRoutes.searchOrganisations, 200, await asOperator("GET", "/api/admin/organisations?query=%25%25%25")).data,
    ).toEqual([]);
    const [audited] = await inDatabase((tx) =>
      queryRows<{ n: number }>(
        tx,
        sql`select count(*)::int as n from platform_audit where action = 'organisations.search' and operator_id = ${operator.userId}`,
      ),
    );
    expect(audited?.n).toBeGreaterThanOrEqual(3);
  });

  test("show one: plan, members and its activity", async () => {
    const admin = await registerOrg(api);
    await addMember(api, admin);
    const shown = parseWith(
      adminRoutes.showOrganisation,
      200,
      await asOperator("GET", `/api/admin/organisations/${admin.organisation.id}`),
    ).data;
    expect(shown).toMatchObject({ id: admin.organisation.id, plan: "FREE", status: "active", comp: null, billing: null });
    expect(shown.members.map((member) => member.role).sort()).toEqual(["ADMIN", "MEMBER"]);
    expect(shown.activities.map((activity) => activity.type)).toContain("USER_JOINED");
    refusalOf(404, await asOperator("GET", "/api/admin/organisations/0e6f4e1a-7f43-4d8e-9b0e-6a1f3f0f9c11"), "NOT_FOUND");
  });

  test("suspend: 403 ORGANISATION_SUSPENDED on every tenant route, on both instances, sockets closed, invitations refused, data untouched", async () => {
    const admin = await registerOrg(api);
    const member = await addMember(api, admin);
    const pending = await invite(api, admin);
    expect((await viaTwo.get("/api/organisations", { token: member.accessToken })).status).toBe(200); // cached on two
    const socket = await connectSocket(two.base, member.accessToken);
    await socket.next((message) => message.type === "CONNECTED");
    const before = await inDatabase((tx) =>
      queryRows<{ n: number }>(tx, sql`select count(*)::int as n from memberships where organisation_id = ${admin.organisation.id}`),
    );

    expect(
      (await asOperator("POST", `/api/admin/organisations/${admin.organisation.id}/suspend`, { reason: "Abuse report #12" })).status,
    ).toBe(200);
    for (const client of [api, viaTwo]) {
      for (const session of [admin, member]) {
        refusalOf(403, await client.get("/api/organisations", { token: session.accessToken }), "ORGANISATION_SUSPENDED");
        refusalOf(403, await client.get("/api/activities", { token: session.accessToken }), "ORGANISATION_SUSPENDED");
      }
    }
    expect((await socket.closed()).code).toBe(4005);
    refusalOf(403, await acceptInvite(api, pending.token), "ORGANISATION_SUSPENDED");
    // Their account still is theirs: who they are, their sessions.
    expect((await api.get("/api/auth/me", { token: member.accessToken })).status).toBe(200);
    const after = await inDatabase((tx) =>
      queryRows<{ n: number }>(tx, sql`select count(*)::int as n from memberships where organisation_id = ${admin.organisation.id}`),
    );
    expect(after).toEqual(before);

    expect((await asOperator("POST", `/api/admin/organisations/${admin.organisation.id}/unsuspend`, { reason: "Resolved" })).status).toBe(
      200,
    );
    for (const client of [api, viaTwo]) expect((await client.get("/api/organisations", { token: member.accessToken })).status).toBe(200);
    const feed = (await api.get("/api/activities", { token: admin.accessToken })).body as {
      data: Array<{ type: string; metadata: { reason?: string } }>;
    };
    expect(feed.data.map((activity) => activity.type).slice(0, 2)).toEqual(["ORGANISATION_UNSUSPENDED", "ORGANISATION_SUSPENDED"]);
    expect(feed.data[1]?.metadata.reason).toBe("Abuse report #12");
    expect((await auditOf(admin.organisation.id)).map((entry) => [entry.action, entry.reason])).toEqual(
      expect.arrayContaining([
        ["organisation.suspend", "Abuse report #12"],
        ["organisation.unsuspend", "Resolved"],
      ]),
    );
  });

  test("comp a plan: it shows as source comp, the ADMIN cannot change it away… until it ends, when the plan goes back", async () => {
    const admin = await registerOrg(api);
    const until = new Date(Date.now() + 3600_000).toISOString();
    const comped = await asOperator("POST", `/api/admin/organisations/${admin.organisation.id}/plan`, {
      plan: "ENTERPRISE",
      reason: "Design partner",
      until,
    });
    expect(parseWith(adminRoutes.compPlan, 200, comped).data).toMatchObject({
      plan: "ENTERPRISE",
      comp: { plan: "ENTERPRISE", reason: "Design partner" },
    });
    const billing = (await api.get("/api/billing", { token: admin.accessToken })).body as { data: Record<string, unknown> };
    expect(billing.data).toMatchObject({ plan: "ENTERPRISE", source: "comp", compUntil: until });
    const [change] = await inDatabase((tx) =>
      queryRows<{ metadata: Record<string, unknown> }>(
        tx,
        sql`select metadata from activities where organisation_id = ${admin.organisation.id} and type = 'PLAN_UPGRADED'`,
      ),
    );
    expect(change?.metadata).toMatchObject({ from: "FREE", to: "ENTERPRISE", source: "comp" });
    refusalOf(
      422,
      await asOperator("POST", `/api/admin/organisations/${admin.organisation.id}/plan`, {
        plan: "PRO",
        reason: "x",
        until: "2000-01-01T00:00:00Z",
      }),
      "VALIDATION_FAILED",
    );

    // The end date passes: the sweep puts the plan back (without billing: the plan before the comp).
    await inDatabase((tx) =>
      tx.execute(sql`update organisations set comp_until = now() - interval '1 second' where id = ${admin.organisation.id}`),
    );
    expect(await one.admin.compSweep.sweep()).toBeGreaterThanOrEqual(1);
    const after = (await api.get("/api/billing", { token: admin.accessToken })).body as { data: Record<string, unknown> };
    expect(after.data).toMatchObject({ plan: "FREE", source: "manual", compUntil: null });
  });

  test("lifting a comp with plan null puts the plan back at once", async () => {
    const admin = await registerOrg(api);
    await api.patch("/api/organisations/subscription", { token: admin.accessToken, body: { plan: "PRO" } });
    await asOperator("POST", `/api/admin/organisations/${admin.organisation.id}/plan`, { plan: "ENTERPRISE", reason: "Trial extension" });
    const lifted = await asOperator("POST", `/api/admin/organisations/${admin.organisation.id}/plan`, { plan: null, reason: "Done" });
    expect(parseWith(adminRoutes.compPlan, 200, lifted).data).toMatchObject({ plan: "PRO", comp: null });
    refusalOf(
      409,
      await asOperator("POST", `/api/admin/organisations/${admin.organisation.id}/plan`, { plan: null, reason: "Again" }),
      "CONFLICT",
    );
  });

  test("delete, as the ADMIN's deletion does: everything goes, sessions end on both instances", async () => {
    const admin = await registerOrg(api);
    const member = await addMember(api, admin);
    expect((await viaTwo.get("/api/organisations", { token: member.accessToken })).status).toBe(200);
    expect(
      (await asOperator("DELETE", `/api/admin/organisations/${admin.organisation.id}`, { reason: "Requested by the customer" })).status,
    ).toBe(200);
    for (const client of [api, viaTwo]) expect((await client.get("/api/organisations", { token: member.accessToken })).status).toBe(401);
    const [left] = await inDatabase((tx) =>
      queryRows<{ n: number }>(tx, sql`select count(*)::int as n from memberships where organisation_id = ${admin.organisation.id}`),
    );
    expect(left?.n).toBe(0);
    expect((await auditOf(admin.organisation.id)).map((entry) => entry.action)).toContain("organisation.delete");
  });
});

describe("users", () => {
  test("search by email, and show memberships and live sessions", async () => {
    const admin = await registerOrg(api);
    const found = parseWith(
      adminRoutes.searchUsers,
      200,
      await asOperator("GET", `/api/admin/users?email=${encodeURIComponent(admin.email.slice(0, 12))}`),
    ).data;
    expect(found.map((user) => user.id)).toContain(admin.user.id);
    const shown = parseWith(adminRoutes.showUser, 200, await asOperator("GET", `/api/admin/users/${admin.user.id}`)).data;
    expect(shown.memberships).toEqual([
      { organisationId: admin.organisation.id, name: admin.organisation.name, role: "ADMIN", organisationSuspended: false },
    ]);
    expect(shown.sessions.map((session) => session.method)).toEqual(["password"]);
  });

  test("revoke every session: refused on both instances, sockets closed", async () => {
    const admin = await registerOrg(api);
    expect((await viaTwo.get("/api/organisations", { token: admin.accessToken })).status).toBe(200);
    const socket = await connectSocket(two.base, admin.accessToken);
    await socket.next((message) => message.type === "CONNECTED");
    expect((await asOperator("POST", `/api/admin/users/${admin.user.id}/revoke-sessions`, { reason: "Compromised laptop" })).status).toBe(
      200,
    );
    for (const client of [api, viaTwo]) expect((await client.get("/api/organisations", { token: admin.accessToken })).status).toBe(401);
    expect((await socket.closed()).code).toBe(4001);
    expect((await api.post("/api/auth/refresh", { body: { refreshToken: admin.refreshToken } })).status).toBe(401);
  });

  test("disable: no sign-in, 403 ACCOUNT_DISABLED on every route on both instances, sockets closed; enable undoes it", async () => {
    const admin = await registerOrg(api);
    expect((await viaTwo.get("/api/organisations", { token: admin.accessToken })).status).toBe(200);
    const socket = await connectSocket(two.base, admin.accessToken);
    await socket.next((message) => message.type === "CONNECTED");
    expect((await asOperator("POST", `/api/admin/users/${admin.user.id}/disable`, { reason: "Fraud" })).status).toBe(200);
    for (const client of [api, viaTwo]) {
      refusalOf(403, await client.get("/api/organisations", { token: admin.accessToken }), "ACCOUNT_DISABLED");
      refusalOf(403, await client.get("/api/auth/me", { token: admin.accessToken }), "ACCOUNT_DISABLED");
    }
    expect((await socket.closed()).code).toBe(4007);
    refusalOf(403, await api.post("/api/auth/login", { body: { email: admin.email, password: PASSWORD } }), "ACCOUNT_DISABLED");
    // A wrong password still says only that: being disabled is not told to someone without the password.
    refusalOf(
      401,
      await api.post("/api/auth/login", { body: { email: admin.email, password: "not-the-password" } }),
      "INVALID_CREDENTIALS",
    );
    expect((await api.post("/api/auth/refresh", { body: { refreshToken: admin.refreshToken } })).status).toBe(401);

    expect((await asOperator("POST", `/api/admin/users/${admin.user.id}/enable`, { reason: "Cleared" })).status).toBe(200);
    expect(
      parseSignIn(authRoutes.login, 200, await api.post("/api/auth/login", { body: { email: admin.email, password: PASSWORD } })).data
        .accessToken,
    ).toBeString();
    expect((await viaTwo.get("/api/organisations", { token: admin.accessToken })).status).toBe(200);
  });
});

describe("the organisation data export", () => {
  const readLines = async (response: Response) =>
    (await response.text())
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, any>);

  test("every row tagged with its table, for its ADMIN and for operators; a MEMBER gets 403; no token, hash or secret in it", async () => {
    const admin = await registerOrg(api);
    const member = await addMember(api, admin);
    const pending = await invite(api, admin);
    await api.post("/api/organisations/broadcast", { token: admin.accessToken, body: { message: "hello export" } });
    refusalOf(403, await api.get("/api/organisations/data-export", { token: member.accessToken }), "FORBIDDEN");

    for (const response of [
      await fetch(`${one.base}/api/organisations/data-export`, { headers: { authorization: `Bearer ${admin.accessToken}` } }),
      await fetch(`${one.base}/api/admin/organisations/${admin.organisation.id}/data-export`, {
        headers: { authorization: `Bearer ${operator.accessToken}` },
      }),
    ]) {
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toContain("application/x-ndjson");
      const text = await response.clone().text();
      const lines = await readLines(response);
      expect(lines.at(-1)).toEqual({
        endOfExport: true,
        counts: { organisation: 1, memberships: 2, invites: 2, activities: expect.any(Number), billing: 0 },
      });
      expect(
        lines
          .filter((line) => line.table === "memberships")
          .map((line) => line.row.email)
          .sort(),
      ).toEqual([admin.email, member.email].sort());
      expect(lines.find((line) => line.table === "invites" && line.row.id === pending.id)?.row).toMatchObject({
        id: pending.id,
        email: pending.email,
        status: "PENDING",
      });
      expect(lines.some((line) => line.table === "activities" && line.row.message === "hello export")).toBe(true);
      const [secrets] = await inDatabase((tx) =>
        queryRows<{ hashes: string[] }>(
          tx,
          sql`select array(select password_hash from users where id in (${admin.user.id}, ${member.user.id})
                            union all select token_hash from invites where organisation_id = ${admin.organisation.id}
                            union all select token_hash from refresh_tokens rt join sessions s on s.id = rt.session_id
                              where s.organisation_id = ${admin.organisation.id}) as hashes`,
        ),
      );
      for (const secret of [...(secrets?.hashes ?? []), pending.token, admin.refreshToken, member.accessToken])
        expect(text).not.toContain(secret);
      for (const key of ["passwordHash", "password_hash", "tokenHash", "token_hash", "secret"]) expect(text).not.toContain(key);
    }
  });

  test("a large organisation streams in constant memory", async () => {
    const admin = await registerOrg(api);
    const count = 40_000;
    await inDatabase((tx) =>
      tx.execute(sql`
        with inserted as (
          insert into activities (organisation_id, id, type, message, actor, metadata)
          select ${admin.organisation.id}, 1000 + n, 'BROADCAST_MESSAGE', 'message number ' || n || ' ' || repeat('x', 300), null,
                 jsonb_build_object('message', 'm', 'sentAt', now())
          from generate_series(1, ${count}) as n returning id)
        update organisations set last_activity_id = 1000 + ${count} where id = ${admin.organisation.id}`),
    );
    Bun.gc(true);
    const baseline = process.memoryUsage().heapUsed;
    let peak = baseline;
    let bytes = 0;
    let lines = 0;
    const response = await fetch(`${one.base}/api/organisations/data-export`, {
      headers: { authorization: `Bearer ${admin.accessToken}` },
    });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    // What stays alive while it streams: the heap after a full collection, every few hundred chunks.
    for (let chunk = 1; ; chunk++) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      for (const byte of value) if (byte === 10) lines++;
      if (chunk % 20 === 0) {
        Bun.gc(true);
        peak = Math.max(peak, process.memoryUsage().heapUsed);
      }
    }
    // Forty thousand rows of one type would skew the planner's statistics for the suites after this one.
    await inDatabase((tx) => tx.execute(sql`delete from organisations where id = ${admin.organisation.id}`));
    expect(lines).toBeGreaterThan(count);
    // The export is over 20 MB; the server (in this very process) never held more than a small part of it.
    expect(bytes).toBeGreaterThan(20_000_000);
    expect(peak - baseline).toBeLessThan(bytes / 5);
    console.log(
      `data export: ${(bytes / 1e6).toFixed(1)} MB in ${lines} lines; heap grew at most ${((peak - baseline) / 1e6).toFixed(1)} MB`,
    );
  }, 120_000);
});
