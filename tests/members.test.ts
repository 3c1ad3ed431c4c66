import { describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { invites, memberships, users } from "../src/db/schema/index.ts";
import * as authRoutes from "../src/modules/auth/auth.routes.ts";
import * as routes from "../src/modules/members/members.routes.ts";
import * as organisationsRoutes from "../src/modules/organisations/organisations.routes.ts";
import { parseSignIn, parseWith, refusalOf, saying } from "./support/client.ts";
import { inDatabase, snapshotDatabase } from "./support/db-state.ts";
import { acceptInvite, addMember, changePlan, invite, login, PASSWORD, registerOrg, uniqueEmail } from "./support/fixtures.ts";
import { useTestServer } from "./support/server.ts";

const { api } = useTestServer();

const memberCount = async (organisationId: string) =>
  (await inDatabase((tx) => tx.select().from(memberships).where(eq(memberships.organisationId, organisationId)))).length;

describe("invitations", () => {
  test("an invite returns its token once; the list shows it without one", async () => {
    const admin = await registerOrg(api);
    const email = uniqueEmail("listed");
    const created = await invite(api, admin, email, "MEMBER");
    expect(created.token.length).toBeGreaterThanOrEqual(43);
    expect(Date.parse(created.expiresAt) - Date.now()).toBeGreaterThan(23 * 3600_000);

    const { data, meta } = parseWith(routes.listInvites, 200, await api.get("/api/users/invites", { token: admin.accessToken }));
    expect(data).toEqual([
      {
        id: created.id,
        email,
        role: "MEMBER",
        expiresAt: created.expiresAt,
        invitedBy: { id: admin.user.id, name: admin.user.name, email: admin.email },
      },
    ]);
    expect(meta.nextCursor).toBeNull();
    expect(JSON.stringify(data)).not.toContain(created.token);
  });

  test("only the token's hash is stored", async () => {
    const admin = await registerOrg(api);
    const created = await invite(api, admin);
    const [row] = await inDatabase((tx) => tx.select({ hash: invites.tokenHash }).from(invites).where(eq(invites.id, created.id)));
    expect(row?.hash).toBeString();
    expect(row?.hash).not.toBe(created.token);
  });

  test("a second pending invite to the same address (in any letter case) is a 409", async () => {
    const admin = await registerOrg(api);
    const email = uniqueEmail("twice");
    await invite(api, admin, email);
    const again = await api.post("/api/users/invite", { token: admin.accessToken, body: { email: email.toUpperCase(), role: "MEMBER" } });
    expect(again.status).toBe(409);
  });

  test("inviting an existing member is a 409", async () => {
    const admin = await registerOrg(api);
    const response = await api.post("/api/users/invite", { token: admin.accessToken, body: { email: admin.email, role: "MEMBER" } });
    expect(response.status).toBe(409);
  });

  test("accepting creates the account and membership and signs in", async () => {
    const admin = await registerOrg(api);
    const email = uniqueEmail("joiner");
    const created = await invite(api, admin, email, "MEMBER");
    const { data } = parseSignIn(routes.acceptInvite, 200, await acceptInvite(api, created.token, "Joiner"));
    expect(data.user).toMatchObject({ name: "Joiner", email, role: "MEMBER" });
    expect(data.organisation.id).toBe(admin.organisation.id);
    const me = parseWith(authRoutes.me, 200, await api.get("/api/auth/me", { token: data.accessToken })).data;
    expect(me.role).toBe("MEMBER");
  });

  test("accepting one invite twice: the second is a 409 and nothing more is created", async () => {
    const admin = await registerOrg(api);
    const created = await invite(api, admin);
    expect((await acceptInvite(api, created.token)).status).toBe(200);
    const before = await snapshotDatabase();
    const second = await acceptInvite(api, created.token);
    expect(second.status).toBe(409);
    expect(await snapshotDatabase()).toEqual(before);
  });

  test("the same invite accepted concurrently: one membership", async () => {
    const admin = await registerOrg(api);
    const created = await invite(api, admin);
    const results = await Promise.all(Array.from({ length: 6 }, () => acceptInvite(api, created.token)));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(await memberCount(admin.organisation.id)).toBe(2);
  });

  test("an expired invite: 410, and it no longer holds a seat", async () => {
    const admin = await registerOrg(api);
    const created = await invite(api, admin);
    await inDatabase((tx) =>
      tx
        .update(invites)
        .set({ expiresAt: new Date(Date.now() - 1000) })
        .where(eq(invites.id, created.id)),
    );
    const response = await acceptInvite(api, created.token);
    expect(refusalOf(410, response).message).toMatch(/expired/);
    const org = parseWith(organisationsRoutes.getOrganisation, 200, await api.get("/api/organisations", { token: admin.accessToken }));
    expect(org.data.pendingInvites).toBe(0);
  });

  test("a revoked invite: 404, and revoking it again is a 404", async () => {
    const admin = await registerOrg(api);
    const created = await invite(api, admin);
    parseWith(routes.revokeInvite, 200, await api.delete(`/api/users/invites/${created.id}`, { token: admin.accessToken }));
    expect((await acceptInvite(api, created.token)).status).toBe(404);
    expect((await api.delete(`/api/users/invites/${created.id}`, { token: admin.accessToken })).status).toBe(404);
  });

  test("an unknown invite token: 404", async () => {
    expect((await acceptInvite(api, "no-such-invite-token")).status).toBe(404);
  });

  test("a password that breaks the rules is a 422 naming it, whoever the invite is for; nothing is created", async () => {
    const admin = await registerOrg(api);
    const created = await invite(api, admin);
    const before = await snapshotDatabase();
    const response = await api.post("/api/users/accept-invite", { body: { token: created.token, name: "Newcomer", password: "short" } });
    expect((refusalOf(422, response).errors ?? []).map((error) => error.path)).toEqual(["password"]);
    expect(await snapshotDatabase()).toEqual(before);
  });

  test("without a name, no account is created: the same 401 as a wrong password for an existing account", async () => {
    const admin = await registerOrg(api);
    const existing = await registerOrg(api);
    const forNobody = await invite(api, admin);
    const forExisting = await invite(api, admin, existing.email);
    const before = await snapshotDatabase();
    const nobody = await api.post("/api/users/accept-invite", { body: { token: forNobody.token, password: "a-guess-at-it" } });
    const wrong = await api.post("/api/users/accept-invite", { body: { token: forExisting.token, password: "a-guess-at-it" } });
    expect([nobody.status, wrong.status]).toEqual([401, 401]);
    expect(refusalOf(401, nobody, "INVALID_CREDENTIALS")).toMatchObject(saying(wrong.body));
    expect(saying(nobody.body)).toEqual(saying(wrong.body));
    expect(await snapshotDatabase()).toEqual(before);
  });
});

describe("an existing account joining a second organisation", () => {
  test("with the right password: one user, two memberships, and switch-organisation works", async () => {
    const a = await registerOrg(api);
    const b = await registerOrg(api);
    const created = await invite(api, b, a.email, "MEMBER");
    const { data } = parseSignIn(routes.acceptInvite, 200, await acceptInvite(api, created.token, "ignored name", PASSWORD));
    expect(data.user.id).toBe(a.user.id);
    expect(data.organisation.id).toBe(b.organisation.id);

    const sameEmail = await inDatabase((tx) => tx.select({ id: users.id }).from(users).where(eq(users.email, a.email)));
    expect(sameEmail).toHaveLength(1);
    const me = parseWith(authRoutes.me, 200, await api.get("/api/auth/me", { token: a.accessToken })).data;
    expect(me.memberships.map((m) => m.organisationId).sort()).toEqual([a.organisation.id, b.organisation.id].sort());

    const switched = parseWith(
      authRoutes.switchOrganisation,
      200,
      await api.post("/api/auth/switch-organisation", { token: a.accessToken, body: { organisationId: b.organisation.id } }),
    ).data;
    expect(switched.organisation.id).toBe(b.organisation.id);
    expect(switched.user.role).toBe("MEMBER");
    const inB = parseWith(organisationsRoutes.getOrganisation, 200, await api.get("/api/organisations", { token: switched.accessToken }));
    expect(inB.data.id).toBe(b.organisation.id);
    // and login can pick the membership
    expect((await login(api, a.email, PASSWORD, b.organisation.id)).organisation?.id).toBe(b.organisation.id);
  });

  test("with a wrong password: 401 and nothing is created", async () => {
    const a = await registerOrg(api);
    const b = await registerOrg(api);
    const created = await invite(api, b, a.email, "MEMBER");
    const before = await snapshotDatabase();
    const response = await acceptInvite(api, created.token, "Mallory", "not-the-password");
    expect(response.status).toBe(401);
    expect(await snapshotDatabase()).toEqual(before);
    expect(await memberCount(b.organisation.id)).toBe(1);
  });
});

describe("plan limits under concurrency", () => {
  test("FREE: as many invites as the API allows, all accepted at once — never more than 3 members", async () => {
    const admin = await registerOrg(api);
    const attempts = await Promise.all(
      Array.from({ length: 6 }, () =>
        api.post("/api/users/invite", { token: admin.accessToken, body: { email: uniqueEmail("seat"), role: "MEMBER" } }),
      ),
    );
    const issued = attempts.filter((r) => r.status === 201).map((r) => parseWith(routes.invite, 201, r).data.token);
    expect(issued).toHaveLength(2);
    expect(attempts.filter((r) => r.status === 403)).toHaveLength(4);

    const accepts = await Promise.all(issued.flatMap((token) => [acceptInvite(api, token), acceptInvite(api, token)]));
    expect(accepts.filter((r) => r.status === 200)).toHaveLength(2);
    expect(await memberCount(admin.organisation.id)).toBe(3);
    const more = await api.post("/api/users/invite", { token: admin.accessToken, body: { email: uniqueEmail("over"), role: "MEMBER" } });
    expect(refusalOf(403, more).message).toMatch(/FREE plan allows 3/);
  });

  test("PRO: 20 concurrent invites then 20 concurrent accepts — exactly 10 members", async () => {
    const admin = await registerOrg(api);
    await changePlan(api, admin, "PRO");
    const attempts = await Promise.all(
      Array.from({ length: 20 }, () =>
        api.post("/api/users/invite", { token: admin.accessToken, body: { email: uniqueEmail("pro"), role: "MEMBER" } }),
      ),
    );
    const issued = attempts.filter((r) => r.status === 201).map((r) => parseWith(routes.invite, 201, r).data.token);
    expect(issued).toHaveLength(9);

    const accepts = await Promise.all(Array.from({ length: 20 }, (_, i) => acceptInvite(api, issued[i % issued.length] as string)));
    expect(accepts.filter((r) => r.status === 200)).toHaveLength(9);
    expect(await memberCount(admin.organisation.id)).toBe(10);
  });
});

describe("members", () => {
  test("the list is paginated, ordered by joining, and never shows a password field", async () => {
    const admin = await registerOrg(api);
    await changePlan(api, admin, "PRO");
    const joined = [];
    for (let i = 0; i < 4; i++) joined.push(await addMember(api, admin));

    const first = parseWith(routes.listMembers, 200, await api.get("/api/users?limit=3", { token: admin.accessToken }));
    expect(first.data.map((m) => m.id)).toEqual([admin.user.id, joined[0]!.user.id, joined[1]!.user.id]);
    expect(first.meta.nextCursor).toBeString();
    const second = parseWith(
      routes.listMembers,
      200,
      await api.get(`/api/users?limit=3&cursor=${first.meta.nextCursor}`, { token: admin.accessToken }),
    );
    expect(second.data.map((m) => m.id)).toEqual([joined[2]!.user.id, joined[3]!.user.id]);
    expect(second.meta.nextCursor).toBeNull();
    expect(JSON.stringify([first, second])).not.toMatch(/password/i);
  });

  test("a member cannot list members (ADMIN only)", async () => {
    const admin = await registerOrg(api);
    const member = await addMember(api, admin);
    expect((await api.get("/api/users", { token: member.accessToken })).status).toBe(403);
  });

  test("promote and demote; the last ADMIN cannot be demoted", async () => {
    const admin = await registerOrg(api);
    const member = await addMember(api, admin);
    const lastAdmin = await api.patch(`/api/users/${admin.user.id}/role`, { token: admin.accessToken, body: { role: "MEMBER" } });
    expect(lastAdmin.status).toBe(409);

    const promoted = parseWith(
      routes.changeRole,
      200,
      await api.patch(`/api/users/${member.user.id}/role`, { token: admin.accessToken, body: { role: "ADMIN" } }),
    );
    expect(promoted.data.role).toBe("ADMIN");
    // with two admins, the first may step down
    parseWith(
      routes.changeRole,
      200,
      await api.patch(`/api/users/${admin.user.id}/role`, { token: admin.accessToken, body: { role: "MEMBER" } }),
    );
  });

  test("two ADMINs demoting each other at once: one ADMIN remains", async () => {
    const admin = await registerOrg(api);
    const other = await addMember(api, admin, "ADMIN");
    const results = await Promise.all([
      api.patch(`/api/users/${other.user.id}/role`, { token: admin.accessToken, body: { role: "MEMBER" } }),
      api.patch(`/api/users/${admin.user.id}/role`, { token: other.accessToken, body: { role: "MEMBER" } }),
    ]);
    // The loser is refused either by the last-ADMIN rule (409) or, if the winner committed
    // before the loser was authenticated, because the loser is no longer an ADMIN (403).
    const [won, lost] = results.map((r) => r.status).sort();
    expect(won).toBe(200);
    expect([403, 409]).toContain(lost as number);
    const admins = await inDatabase((tx) => tx.select().from(memberships).where(eq(memberships.organisationId, admin.organisation.id)));
    expect(admins.filter((m) => m.role === "ADMIN")).toHaveLength(1);
  });

  test("removing yourself or an ADMIN is refused", async () => {
    const admin = await registerOrg(api);
    const other = await addMember(api, admin, "ADMIN");
    expect((await api.delete(`/api/users/${admin.user.id}`, { token: admin.accessToken })).status).toBe(403);
    expect((await api.delete(`/api/users/${other.user.id}`, { token: admin.accessToken })).status).toBe(403);
  });
});

describe("revocation takes effect at once", () => {
  test("a removed member's very next request is a 401, and their refresh token is dead", async () => {
    const admin = await registerOrg(api);
    const member = await addMember(api, admin);
    expect((await api.get("/api/organisations", { token: member.accessToken })).status).toBe(200); // cached as valid
    parseWith(routes.removeMember, 200, await api.delete(`/api/users/${member.user.id}`, { token: admin.accessToken }));

    expect((await api.get("/api/organisations", { token: member.accessToken })).status).toBe(401);
    expect((await api.post("/api/auth/refresh", { body: { refreshToken: member.refreshToken } })).status).toBe(401);
  });

  test("a demoted ADMIN's very next ADMIN request is a 403; they stay signed in as MEMBER", async () => {
    const admin = await registerOrg(api);
    const other = await addMember(api, admin, "ADMIN");
    expect((await api.get("/api/users", { token: other.accessToken })).status).toBe(200);
    await api.patch(`/api/users/${other.user.id}/role`, { token: admin.accessToken, body: { role: "MEMBER" } });

    expect((await api.get("/api/users", { token: other.accessToken })).status).toBe(403);
    expect((await api.get("/api/organisations", { token: other.accessToken })).status).toBe(200);
    const refreshed = parseWith(
      authRoutes.refresh,
      200,
      await api.post("/api/auth/refresh", { body: { refreshToken: other.refreshToken } }),
    );
    const me = parseWith(authRoutes.me, 200, await api.get("/api/auth/me", { token: refreshed.data.accessToken }));
    expect(me.data.role).toBe("MEMBER");
  });
});
