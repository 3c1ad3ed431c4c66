// GET /api/organisations is answered from each instance's cache of the organisation's view.
// These prove the cache never shows an organisation as it was: every change reaches the next
// read, on the instance that made it and on every other one.
import { describe, expect, test } from "bun:test";
import pg from "pg";
import * as usersRoutes from "../src/modules/members/members.routes.ts";
import * as routes from "../src/modules/organisations/organisations.routes.ts";
import { type Client, createClient, parseSignIn, parseWith } from "./support/client.ts";
import { testDatabase } from "./support/database.ts";
import { acceptInvite, changePlan, invite, registerOrg } from "./support/fixtures.ts";
import { startTestServer, useTwoTestServers } from "./support/server.ts";
import { heardEverywhere } from "./support/socket.ts";

const { one, two, viaOne, viaTwo } = useTwoTestServers();

const view = async (client: Client, token: string) =>
  parseWith(routes.getOrganisation, 200, await client.get("/api/organisations", { token })).data;

const everywhere = (admin: { accessToken: string }, change: () => Promise<unknown>) =>
  heardEverywhere([one().base, two().base], admin.accessToken, change);

describe("every change shows on the next read, on every instance, once it has heard of it", () => {
  test("a plan change", async () => {
    const admin = await registerOrg(viaOne);
    for (let round = 0; round < 5; round++) {
      // Both instances have the view cached before each change.
      expect((await view(viaOne, admin.accessToken)).subscriptionPlan).toBe(round % 2 ? "PRO" : "FREE");
      expect((await view(viaTwo, admin.accessToken)).subscriptionPlan).toBe(round % 2 ? "PRO" : "FREE");
      const next = round % 2 ? "FREE" : "PRO";
      await everywhere(admin, () => changePlan(round % 2 ? viaTwo : viaOne, admin, next));
      expect((await view(viaOne, admin.accessToken)).subscriptionPlan).toBe(next);
      expect((await view(viaTwo, admin.accessToken)).subscriptionPlan).toBe(next);
    }
  });

  test("an invite, a new member, a revoked invite and a removed member", async () => {
    const admin = await registerOrg(viaOne);
    await changePlan(viaOne, admin, "PRO");
    const counts = async () => {
      const [a, b] = [await view(viaOne, admin.accessToken), await view(viaTwo, admin.accessToken)];
      expect(a).toEqual(b);
      return { members: a.memberCount, pending: a.pendingInvites };
    };
    expect(await counts()).toEqual({ members: 1, pending: 0 });
    let sent = { token: "" };
    await everywhere(admin, async () => (sent = await invite(viaTwo, admin)));
    expect(await counts()).toEqual({ members: 1, pending: 1 });
    await everywhere(admin, () => acceptInvite(viaTwo, sent.token));
    expect(await counts()).toEqual({ members: 2, pending: 0 });
    let withdrawn = { id: "" };
    await everywhere(admin, async () => (withdrawn = await invite(viaOne, admin)));
    expect(await counts()).toEqual({ members: 2, pending: 1 });
    await everywhere(admin, () => viaTwo.delete(`/api/users/invites/${withdrawn.id}`, { token: admin.accessToken }));
    expect(await counts()).toEqual({ members: 2, pending: 0 });
    let sentTo = { token: "" };
    await everywhere(admin, async () => (sentTo = await invite(viaOne, admin)));
    let member = { user: { id: "" }, accessToken: "" };
    await everywhere(
      admin,
      async () => (member = parseSignIn(usersRoutes.acceptInvite, 200, await acceptInvite(viaOne, sentTo.token)).data),
    );
    expect(await counts()).toEqual({ members: 3, pending: 0 });
    await everywhere(admin, () => viaTwo.delete(`/api/users/${member.user.id}`, { token: admin.accessToken }));
    expect(await counts()).toEqual({ members: 2, pending: 0 });
    // The removed member is refused everywhere, whatever was cached for the organisation.
    for (const client of [viaOne, viaTwo]) expect((await client.get("/api/organisations", { token: member.accessToken })).status).toBe(401);
  });
});

test("the instance that makes a change forgets its cached view at once, without waiting for its own notification", async () => {
  const deaf = await startTestServer();
  try {
    const client = createClient(deaf.base);
    const admin = await registerOrg(client);
    expect((await view(client, admin.accessToken)).subscriptionPlan).toBe("FREE");
    await deaf.bus.stop(); // no more notifications reach it, and it still trusts its cache
    await changePlan(client, admin, "PRO");
    expect((await view(client, admin.accessToken)).subscriptionPlan).toBe("PRO");
    const sent = await invite(client, admin);
    expect((await view(client, admin.accessToken)).pendingInvites).toBe(1);
    await acceptInvite(client, sent.token);
    expect((await view(client, admin.accessToken)).memberCount).toBe(2);
  } finally {
    await deaf.stop();
  }
});

test("an invite that lapses leaves the pending count when it expires, with no event to say so", async () => {
  const shortInvites = await startTestServer({ INVITE_EXPIRES_IN: "1s" });
  try {
    const client = createClient(shortInvites.base);
    const admin = await registerOrg(client);
    await invite(client, admin);
    expect((await view(client, admin.accessToken)).pendingInvites).toBe(1);
    await Bun.sleep(1100);
    expect((await view(client, admin.accessToken)).pendingInvites).toBe(0);
  } finally {
    await shortInvites.stop();
  }
});

describe("while the LISTEN connection is down", () => {
  test.if(!!process.env.DATABASE_URL)("the cache is bypassed, so a change made elsewhere still shows", async () => {
    const admin = await registerOrg(viaOne);
    expect((await view(viaTwo, admin.accessToken)).subscriptionPlan).toBe("FREE");
    const killer = new pg.Client({ connectionString: (await testDatabase()).url });
    await killer.connect();
    await killer.query("select pg_terminate_backend($1)", [two().bus.backendPid]);
    await killer.end();
    // Straight into the database: no instance can announce this one.
    const direct = new pg.Client({ connectionString: (await testDatabase()).url, options: "-c app.system=on" });
    await direct.connect();
    await direct.query("update organisations set subscription_plan = 'ENTERPRISE' where id = $1", [admin.organisation.id]);
    await direct.end();
    expect((await view(viaTwo, admin.accessToken)).subscriptionPlan).toBe("ENTERPRISE");
  });
  if (!process.env.DATABASE_URL)
    console.log("skipped: the LISTEN-down cache test needs a PostgreSQL server (the embedded database has no connection to kill)");
});
