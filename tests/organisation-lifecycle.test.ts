// Renaming, leaving and deleting an organisation; each change is an activity on the wire, and
// revocations reach a second instance's sockets.
import { describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { activities, invites, memberships, organisations, sessions } from "../src/db/schema/index.ts";
import * as routes from "../src/modules/organisations/organisations.routes.ts";
import { parseWith, refusalOf } from "./support/client.ts";
import { inDatabase, snapshotDatabase } from "./support/db-state.ts";
import { acceptInvite, addMember, invite, login, registerOrg } from "./support/fixtures.ts";
import { useTwoTestServers } from "./support/server.ts";
import { connectSocket } from "./support/socket.ts";

const { two, viaOne: api, viaTwo: elsewhere } = useTwoTestServers();

async function socketElsewhere(token: string) {
  const socket = await connectSocket(two().base, token);
  await socket.next((m) => m.type === "CONNECTED");
  return socket;
}

describe("renaming", () => {
  test("an ADMIN renames; everyone hears ORGANISATION_RENAMED; the slug stays", async () => {
    const admin = await registerOrg(api);
    const member = await addMember(api, admin);
    const socket = await socketElsewhere(member.accessToken);
    const renamed = parseWith(
      routes.rename,
      200,
      await api.patch("/api/organisations", { token: admin.accessToken, body: { name: "  Acme Rebrand  " } }),
    ).data;
    expect(renamed).toMatchObject({ name: "Acme Rebrand", slug: admin.organisation.slug });
    const event = await socket.next((m) => m.type === "ORGANISATION_RENAMED");
    expect(event.payload).toMatchObject({ from: admin.organisation.name, to: "Acme Rebrand", renamedBy: { id: admin.user.id } });
    socket.close();
    refusalOf(409, await api.patch("/api/organisations", { token: admin.accessToken, body: { name: "Acme Rebrand" } }));
  });
});

describe("leaving", () => {
  test("a member leaves: signed out of this organisation on every instance, USER_LEFT for the rest", async () => {
    const admin = await registerOrg(api);
    const member = await addMember(api, admin);
    const watcher = await socketElsewhere(admin.accessToken);
    const leaverSocket = await socketElsewhere(member.accessToken);
    parseWith(routes.leave, 200, await api.post("/api/organisations/leave", { token: member.accessToken }));
    expect((await leaverSocket.closed(2000)).code).toBe(4003);
    expect((await watcher.next((m) => m.type === "USER_LEFT")).payload).toMatchObject({ userId: member.user.id, accountDeleted: false });
    watcher.close();
    expect((await elsewhere.get("/api/organisations", { token: member.accessToken })).status).toBe(401);
    expect((await api.post("/api/auth/refresh", { body: { refreshToken: member.refreshToken } })).status).toBe(401);
    expect((await elsewhere.get("/api/organisations", { token: admin.accessToken })).body).toMatchObject({ data: { memberCount: 1 } });
  });

  test("the last ADMIN cannot leave; with another ADMIN they can", async () => {
    const admin = await registerOrg(api);
    const before = await snapshotDatabase();
    expect(refusalOf(409, await api.post("/api/organisations/leave", { token: admin.accessToken })).message).toMatch(/last ADMIN/);
    expect(await snapshotDatabase()).toEqual(before);
    await addMember(api, admin, "ADMIN");
    parseWith(routes.leave, 200, await api.post("/api/organisations/leave", { token: admin.accessToken }));
  });

  test("two ADMINs leaving at once: one stays", async () => {
    const admin = await registerOrg(api);
    const other = await addMember(api, admin, "ADMIN");
    const outcomes = await Promise.all([admin, other].map((who) => api.post("/api/organisations/leave", { token: who.accessToken })));
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual([200, 409]);
    const left = await inDatabase((tx) => tx.select().from(memberships).where(eq(memberships.organisationId, admin.organisation.id)));
    expect(left.map((membership) => membership.role)).toEqual(["ADMIN"]);
  });
});

describe("deleting", () => {
  test("a name that does not match is a 422 and nothing changes", async () => {
    const admin = await registerOrg(api);
    const before = await snapshotDatabase();
    const refusal = refusalOf(
      422,
      await api.delete("/api/organisations", { token: admin.accessToken, body: { confirmName: "something else" } }),
    );
    expect(refusal.errors?.map((error) => error.path)).toEqual(["confirmName"]);
    expect(await snapshotDatabase()).toEqual(before);
  });

  test("everything of the organisation goes in one go; its sockets close; members keep their other organisations", async () => {
    const admin = await registerOrg(api);
    const member = await addMember(api, admin);
    await invite(api, admin);
    await api.post("/api/organisations/broadcast", { token: admin.accessToken, body: { message: "soon gone" } });
    // The member also belongs to an organisation of their own.
    const elsewhereOrg = await registerOrg(api);
    const sent = await invite(api, elsewhereOrg, member.email);
    expect((await acceptInvite(api, sent.token, "ignored", member.password)).status).toBe(200);
    const socket = await socketElsewhere(member.accessToken);

    parseWith(
      routes.deleteOrganisation,
      200,
      await api.delete("/api/organisations", { token: admin.accessToken, body: { confirmName: admin.organisation.name } }),
    );
    expect((await socket.closed(2000)).code).toBe(4003);
    for (const session of [admin, member])
      expect((await elsewhere.get("/api/organisations", { token: session.accessToken })).status).toBe(401);
    const org = admin.organisation.id;
    const left = await inDatabase(async (tx) => [
      await tx.select().from(organisations).where(eq(organisations.id, org)),
      await tx.select().from(memberships).where(eq(memberships.organisationId, org)),
      await tx.select().from(invites).where(eq(invites.organisationId, org)),
      await tx.select().from(sessions).where(eq(sessions.organisationId, org)),
      await tx.select().from(activities).where(eq(activities.organisationId, org)),
    ]);
    expect(left.map((rows) => rows.length)).toEqual([0, 0, 0, 0, 0]);
    const there = await login(api, member.email, member.password, elsewhereOrg.organisation.id);
    expect((await elsewhere.get("/api/organisations", { token: there.accessToken })).status).toBe(200);
  });
});
