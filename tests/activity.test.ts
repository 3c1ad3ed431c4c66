import { describe, expect, test } from "bun:test";
import { eq, type SQL, sql } from "drizzle-orm";
import { activities } from "../src/db/schema/index.ts";
import { queryRows } from "../src/db/sql.ts";
import type { ActivityType } from "../src/lib/vocabulary.ts";
import * as routes from "../src/modules/activity/activity.routes.ts";
import * as usersRoutes from "../src/modules/members/members.routes.ts";
import * as organisationsRoutes from "../src/modules/organisations/organisations.routes.ts";
import { parseSignIn, parseWith, refusalOf } from "./support/client.ts";
import { inDatabase } from "./support/db-state.ts";
import { acceptInvite, addMember, changePlan, invite, registerOrg, type Session } from "./support/fixtures.ts";
import { useTestServer } from "./support/server.ts";

const { api } = useTestServer();

const feed = async (token: string, query = "") =>
  parseWith(routes.listActivities, 200, await api.get(`/api/activities${query}`, { token }));

const activityTypes = async (organisationId: string): Promise<ActivityType[]> =>
  (
    await inDatabase((tx) =>
      tx.select({ type: activities.type }).from(activities).where(eq(activities.organisationId, organisationId)).orderBy(activities.id),
    )
  ).map((row) => row.type);

/** Runs `change` and returns the activity types it added to the organisation's log. */
async function activitiesWrittenBy(admin: Session, change: () => Promise<unknown>) {
  const before = (await activityTypes(admin.organisation.id)).length;
  await change();
  return (await activityTypes(admin.organisation.id)).slice(before);
}

const broadcast = (admin: Session, message: string) =>
  api.post("/api/organisations/broadcast", { token: admin.accessToken, body: { message } });

describe("each change writes exactly one activity", () => {
  test("every kind of change, in the same transaction as the change", async () => {
    const admin = await registerOrg(api);
    const email = `activity-${crypto.randomUUID().slice(0, 6)}@example.com`;
    let inviteToken = "";
    expect(await activitiesWrittenBy(admin, async () => (inviteToken = (await invite(api, admin, email)).token))).toEqual(["INVITE_SENT"]);

    let memberId = "";
    expect(
      await activitiesWrittenBy(
        admin,
        async () => (memberId = parseSignIn(usersRoutes.acceptInvite, 200, await acceptInvite(api, inviteToken, "Joiner")).data.user.id),
      ),
    ).toEqual(["USER_JOINED"]);

    expect(
      await activitiesWrittenBy(admin, () =>
        api.patch(`/api/users/${memberId}/role`, { token: admin.accessToken, body: { role: "ADMIN" } }),
      ),
    ).toEqual(["USER_ROLE_CHANGED"]);
    expect(
      await activitiesWrittenBy(admin, () =>
        api.patch(`/api/users/${memberId}/role`, { token: admin.accessToken, body: { role: "MEMBER" } }),
      ),
    ).toEqual(["USER_ROLE_CHANGED"]);
    expect(await activitiesWrittenBy(admin, () => api.delete(`/api/users/${memberId}`, { token: admin.accessToken }))).toEqual([
      "USER_REMOVED",
    ]);
    expect(await activitiesWrittenBy(admin, () => changePlan(api, admin, "PRO"))).toEqual(["PLAN_UPGRADED"]);
    expect(await activitiesWrittenBy(admin, () => changePlan(api, admin, "FREE"))).toEqual(["PLAN_DOWNGRADED"]);
    expect(await activitiesWrittenBy(admin, () => broadcast(admin, "hello"))).toEqual(["BROADCAST_MESSAGE"]);
    const pending = await invite(api, admin);
    expect(await activitiesWrittenBy(admin, () => api.delete(`/api/users/invites/${pending.id}`, { token: admin.accessToken }))).toEqual([
      "INVITE_REVOKED",
    ]);
  });

  test("each activity is written by the very transaction that made its change (same xmin)", async () => {
    const admin = await registerOrg(api);
    const org = admin.organisation.id;
    const xminOf = async (query: SQL) => (await inDatabase((tx) => queryRows<{ xmin: string }>(tx, query)))[0]?.xmin;
    const newestActivity = () => xminOf(sql`select xmin::text from activities where organisation_id = ${org} order by id desc limit 1`);
    const membership = (userId: string) =>
      xminOf(sql`select xmin::text from memberships where organisation_id = ${org} and user_id = ${userId}`);
    const inviteRow = (id: string) => xminOf(sql`select xmin::text from invites where id = ${id}`);

    const created = await invite(api, admin);
    expect(await newestActivity()).toBe(await inviteRow(created.id));
    const joined = parseSignIn(usersRoutes.acceptInvite, 200, await acceptInvite(api, created.token, "Joiner")).data.user.id;
    expect(await newestActivity()).toBe(await membership(joined));
    await api.patch(`/api/users/${joined}/role`, { token: admin.accessToken, body: { role: "ADMIN" } });
    expect(await newestActivity()).toBe(await membership(joined));
    await api.patch(`/api/users/${joined}/role`, { token: admin.accessToken, body: { role: "MEMBER" } });
    await api.delete(`/api/users/${joined}`, { token: admin.accessToken });
    expect(await newestActivity()).toBe(
      await xminOf(sql`select xmin::text from sessions where organisation_id = ${org} and user_id = ${joined}`),
    );
    await changePlan(api, admin, "PRO");
    expect(await newestActivity()).toBe(
      await xminOf(sql`select xmin::text from organisations where id = ${org} and subscription_plan = 'PRO'`),
    );
    const withdrawn = await invite(api, admin);
    await api.delete(`/api/users/invites/${withdrawn.id}`, { token: admin.accessToken });
    expect(await newestActivity()).toBe(await inviteRow(withdrawn.id));
  });

  test("actor, target and metadata are stored as JSON objects, never as encoded strings", async () => {
    const admin = await registerOrg(api);
    const member = await addMember(api, admin);
    await api.patch(`/api/users/${member.user.id}/role`, { token: admin.accessToken, body: { role: "ADMIN" } });
    const [stored] = await inDatabase((tx) =>
      queryRows<{ actor: string; target: string; metadata: string }>(
        tx,
        sql`select jsonb_typeof(actor) as actor, jsonb_typeof(target) as target, jsonb_typeof(metadata) as metadata
            from activities where organisation_id = ${admin.organisation.id} and type = 'USER_ROLE_CHANGED'`,
      ),
    );
    expect(stored).toEqual({ actor: "object", target: "object", metadata: "object" });
  });

  test("a change that fails writes none", async () => {
    const admin = await registerOrg(api);
    const member = await addMember(api, admin);
    const pending = await invite(api, admin);
    const failures = [
      () => api.patch("/api/organisations/subscription", { token: admin.accessToken, body: { plan: "FREE" } }), // same plan
      () => api.patch(`/api/users/${admin.user.id}/role`, { token: admin.accessToken, body: { role: "MEMBER" } }), // last admin
      () => api.delete(`/api/users/${admin.user.id}`, { token: admin.accessToken }), // yourself
      () => api.post("/api/users/invite", { token: admin.accessToken, body: { email: pending.email, role: "MEMBER" } }), // duplicate
      () => api.post("/api/users/invite", { token: admin.accessToken, body: { email: "x@example.com", role: "MEMBER" } }), // plan full
      () => broadcast(admin, ""), // invalid
      () => broadcast(member, "not an admin"),
      () => api.patch("/api/organisations/subscription", { token: admin.accessToken, body: { plan: "NOPE" } }),
    ];
    for (const fail of failures) {
      const written = await activitiesWrittenBy(admin, async () => {
        const response = await fail();
        expect(response.status).toBeGreaterThanOrEqual(400);
      });
      expect(written).toEqual([]);
    }
  });
});

describe("GET /api/activities", () => {
  test("newest first, with actor and target summaries; a removed member still shows by name", async () => {
    const admin = await registerOrg(api);
    const member = await addMember(api, admin);
    await api.delete(`/api/users/${member.user.id}`, { token: admin.accessToken });
    const { data } = await feed(admin.accessToken);
    expect(data.map((a) => a.type)).toEqual(["USER_REMOVED", "USER_JOINED", "INVITE_SENT"]);
    const [removed] = data;
    expect(removed?.actor).toEqual({ id: admin.user.id, name: admin.user.name, email: admin.email });
    expect(removed?.target).toEqual({ id: member.user.id, name: member.user.name, email: member.email });
    expect(removed?.message).toBe(`${admin.user.name} removed ${member.user.name}`);
    expect(removed?.metadata).toMatchObject({ userId: member.user.id, removedBy: { id: admin.user.id } });
  });

  test("120 activities page as 50/50/20 with no duplicates or gaps, stable while new ones arrive", async () => {
    const admin = await registerOrg(api);
    for (let i = 0; i < 120; i++) expect((await broadcast(admin, `message ${i}`)).status).toBe(201);

    const first = await feed(admin.accessToken);
    expect(first.data).toHaveLength(50);
    // New activities arrive between pages: they belong before page one, not inside page two.
    await broadcast(admin, "late arrival 1");
    await broadcast(admin, "late arrival 2");
    const second = await feed(admin.accessToken, `?cursor=${first.meta.nextCursor}`);
    const third = await feed(admin.accessToken, `?limit=50&cursor=${second.meta.nextCursor}`);
    expect(second.data).toHaveLength(50);
    expect(third.data).toHaveLength(20);
    expect(third.meta.nextCursor).toBeNull();

    const messages = [...first.data, ...second.data, ...third.data].map((a) => a.message);
    expect(messages).toEqual(Array.from({ length: 120 }, (_, i) => `message ${119 - i}`));
  });

  test("filters by type", async () => {
    const admin = await registerOrg(api);
    await invite(api, admin);
    await broadcast(admin, "one");
    await broadcast(admin, "two");
    const { data } = await feed(admin.accessToken, "?type=BROADCAST_MESSAGE");
    expect(data.map((a) => a.message)).toEqual(["two", "one"]);
  });

  test("members read the feed too; other organisations' activities never appear", async () => {
    const admin = await registerOrg(api);
    const member = await addMember(api, admin);
    const stranger = await registerOrg(api);
    await broadcast(stranger, "not for you");
    const { data } = await feed(member.accessToken);
    expect(data.some((a) => a.message === "not for you")).toBe(false);
  });

  test.each([
    ["?limit=0"],
    ["?limit=101"],
    ["?limit=abc"],
    ["?limit=1e400"],
    ["?type=NOT_A_TYPE"],
    ["?cursor=garbage"],
    [`?cursor=${Buffer.from('["x"]').toString("base64url")}`],
    [`?cursor=${Buffer.from('["9999999999999999999"]').toString("base64url")}`], // beyond bigint
  ])("%s is a 400", async (query) => {
    const admin = await registerOrg(api);
    const response = await api.get(`/api/activities${query}`, { token: admin.accessToken });
    expect(refusalOf(400, response).message).toMatch(/cursor|limit|type/i);
  });
});

describe("activity ids: each organisation counts its own", () => {
  test("1, 2, 3… with no gap, whatever other organisations write meanwhile, concurrent writes included", async () => {
    const [mine, theirs] = [await registerOrg(api), await registerOrg(api)];
    const sent: string[] = [];
    for (let i = 0; i < 3; i++) {
      sent.push(parseWith(organisationsRoutes.broadcast, 201, await broadcast(mine, `mine ${i}`)).data.id);
      await Promise.all(Array.from({ length: 4 }, (_, j) => broadcast(theirs, `theirs ${i}.${j}`)));
    }
    expect(sent).toEqual(["1", "2", "3"]);
    await Promise.all(Array.from({ length: 10 }, (_, i) => broadcast(mine, `burst ${i}`)));
    const ids = (await feed(mine.accessToken, "?limit=100")).data.map((activity) => Number(activity.id));
    expect(ids).toEqual(Array.from({ length: 13 }, (_, i) => 13 - i));
    const theirIds = (await feed(theirs.accessToken, "?limit=100")).data.map((activity) => Number(activity.id));
    expect(theirIds).toEqual(Array.from({ length: 12 }, (_, i) => 12 - i));
  });
});
