// An account must never be stranded: after its last organisation is gone it still signs in, to
// a session of no organisation, from which it can found an organisation, join one, look after
// its sessions and password, or close the account — and nothing of any organisation.
import { describe, expect, test } from "bun:test";
import jwt from "jsonwebtoken";
import * as authRoutes from "../src/modules/auth/auth.routes.ts";
import * as organisationsRoutes from "../src/modules/organisations/organisations.routes.ts";
import { parseSignIn, parseWith, refusalOf } from "./support/client.ts";
import { acceptInvite, invite, PASSWORD, registerOrg } from "./support/fixtures.ts";
import { useTestServer } from "./support/server.ts";
import { connectSocket } from "./support/socket.ts";

const { api, server } = useTestServer();

/** An account whose only organisation was deleted, signed in again: a session of no organisation. */
async function stranded() {
  const admin = await registerOrg(api);
  expect(
    (await api.delete("/api/organisations", { token: admin.accessToken, body: { confirmName: admin.organisation.name } })).status,
  ).toBe(200);
  const signedIn = parseSignIn(
    authRoutes.login,
    200,
    await api.post("/api/auth/login", { body: { email: admin.email, password: PASSWORD } }),
  ).data;
  return { ...admin, session: signedIn };
}

describe("an account in no organisation", () => {
  test("signs in to a session of no organisation (not a 403), and says so in me", async () => {
    const { session, user } = await stranded();
    expect(session.organisation).toBeNull();
    expect(session.user).toMatchObject({ id: user.id, role: null });
    expect((jwt.decode(session.accessToken) as { org: unknown }).org).toBeNull();
    const me = parseWith(authRoutes.me, 200, await api.get("/api/auth/me", { token: session.accessToken })).data;
    expect(me).toMatchObject({ organisation: null, role: null, memberships: [] });
  });

  test("every organisation route answers 403 NO_ORGANISATION", async () => {
    const { session } = await stranded();
    const token = session.accessToken;
    for (const [method, path, body] of [
      ["GET", "/api/organisations", undefined],
      ["GET", "/api/activities", undefined],
      ["GET", "/api/users", undefined],
      ["POST", "/api/users/invite", { email: "someone@example.com", role: "MEMBER" }],
      ["POST", "/api/organisations/broadcast", { message: "hello?" }],
      ["POST", "/api/organisations/leave", undefined],
    ] as const) {
      refusalOf(403, await api.call(method, path, { token, body }), "NO_ORGANISATION");
    }
  });

  test("its socket is accepted and closed at once with 4004, a code a browser can read", async () => {
    const { session } = await stranded();
    const socket = await connectSocket(server().base, session.accessToken);
    const closed = await socket.closed();
    expect(closed.code).toBe(4004);
    expect(closed.reason).toMatch(/no organisation/);
  });

  test("it lists and ends its sessions, changes its password, and can close the account", async () => {
    const { session, email } = await stranded();
    const listed = parseWith(authRoutes.listSessions, 200, await api.get("/api/auth/sessions", { token: session.accessToken })).data
      .sessions;
    expect(listed.find((each) => each.current)).toMatchObject({ organisationId: null, organisationName: null });
    const other = parseSignIn(authRoutes.login, 200, await api.post("/api/auth/login", { body: { email, password: PASSWORD } })).data;
    const otherId = (jwt.decode(other.accessToken) as { sid: string }).sid;
    expect((await api.delete(`/api/auth/sessions/${otherId}`, { token: session.accessToken })).status).toBe(200);
    expect((await api.get("/api/auth/me", { token: other.accessToken })).status).toBe(401);

    const changed = await api.post("/api/auth/change-password", {
      token: session.accessToken,
      body: { currentPassword: PASSWORD, newPassword: "a-new-start-here" },
    });
    expect(changed.status).toBe(200);
    expect((await api.delete("/api/auth/me", { token: session.accessToken, body: { password: "a-new-start-here" } })).status).toBe(200);
    expect((await api.post("/api/auth/login", { body: { email, password: "a-new-start-here" } })).status).toBe(401);
  });

  test("it founds an organisation, and gets tokens for it as its ADMIN", async () => {
    const { session } = await stranded();
    const created = parseWith(
      organisationsRoutes.createOrganisation,
      201,
      await api.post("/api/organisations", { token: session.accessToken, body: { name: "A fresh start" } }),
    ).data;
    expect(created.user.role).toBe("ADMIN");
    expect(created.organisation.name).toBe("A fresh start");
    const view = parseWith(
      organisationsRoutes.getOrganisation,
      200,
      await api.get("/api/organisations", { token: created.accessToken }),
    ).data;
    expect(view).toMatchObject({ id: created.organisation.id, memberCount: 1 });
    // Made from the session of no organisation: ended with it.
    expect((await api.post("/api/auth/logout", { token: session.accessToken, body: { refreshToken: session.refreshToken } })).status).toBe(
      200,
    );
    expect((await api.get("/api/organisations", { token: created.accessToken })).status).toBe(401);
  });

  test("it accepts an invitation, and signs in to that organisation next time", async () => {
    const { session, email } = await stranded();
    const host = await registerOrg(api);
    const sent = await invite(api, host, email);
    expect((await acceptInvite(api, sent.token, "ignored for an existing account")).status).toBe(200);
    const again = parseSignIn(authRoutes.login, 200, await api.post("/api/auth/login", { body: { email, password: PASSWORD } })).data;
    expect(again.organisation?.id).toBe(host.organisation.id);
    // and the old session of no organisation can switch into it
    const switched = await api.post("/api/auth/switch-organisation", {
      token: session.accessToken,
      body: { organisationId: host.organisation.id },
    });
    expect(parseWith(authRoutes.switchOrganisation, 200, switched).data.organisation.id).toBe(host.organisation.id);
  });

  test("a password reset and a sign-in after it lead to a session of no organisation, not a 403", async () => {
    const { email } = await stranded();
    expect((await api.post("/api/auth/forgot-password", { body: { email } })).status).toBe(202);
    await server().mail.sender?.flush();
    const body =
      server()
        .mail.mailbox?.messages()
        .find((mail) => mail.to === email && mail.subject.includes("Reset"))?.body ?? "";
    const token = decodeURIComponent(/token=(\S+)/.exec(body)?.[1] ?? "");
    expect((await api.post("/api/auth/reset-password", { body: { token, newPassword: "after-the-reset" } })).status).toBe(200);
    const signedIn = parseSignIn(
      authRoutes.login,
      200,
      await api.post("/api/auth/login", { body: { email, password: "after-the-reset" } }),
    ).data;
    expect(signedIn.organisation).toBeNull();
  });
});

describe("creating another organisation", () => {
  test("a member of one creates a second: ADMIN there, still a member of the first", async () => {
    const admin = await registerOrg(api);
    const created = parseWith(
      organisationsRoutes.createOrganisation,
      201,
      await api.post("/api/organisations", { token: admin.accessToken, body: { name: "Side project" } }),
    ).data;
    const me = parseWith(authRoutes.me, 200, await api.get("/api/auth/me", { token: created.accessToken })).data;
    expect(me.memberships.map((membership) => membership.organisationId).sort()).toEqual(
      [admin.organisation.id, created.organisation.id].sort(),
    );
    expect(me.role).toBe("ADMIN");
  });
});
