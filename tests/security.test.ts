// The security suite: one table of every route, and every attack run over all of them.
// A route that is not in the table fails the first test, so none can skip the rest.
import { beforeAll, describe, expect, test } from "bun:test";
import jwt from "jsonwebtoken";

import { grantPlatformRole } from "../src/modules/admin/index.ts";
import { createAuthenticator } from "./support/authenticator.ts";
import { refusalOf } from "./support/client.ts";
import { testDatabase } from "./support/database.ts";
import { snapshotDatabase } from "./support/db-state.ts";
import { addMember, invite, registerOrg, type Session, uniqueEmail } from "./support/fixtures.ts";
import { fetchSpec } from "./support/routes.ts";
import { TEST_SECRETS, useTestServer } from "./support/server.ts";

type Access = "public" | "member" | "admin" | "operator";
type Fixtures = {
  admin: Session;
  /** An operator signed in with the password alone: every admin route still refuses them. */
  weakOperator: Session;
  member: Session;
  inviteId: string;
  /** The member's own passkey. */
  passkeyId: string;
  /** Ids that belong to another organisation (or, for a session or a passkey, another user). */
  foreign: { userId: string; inviteId: string; sessionId: string; passkeyId: string };
};

/** Well-formed WebAuthn JSON that no authenticator made: only the credentials of the request are wrong, or the body is refused as bogus. */
const BOGUS_CREDENTIAL = {
  id: "AAAA",
  rawId: "AAAA",
  type: "public-key",
  response: { clientDataJSON: "e30", attestationObject: "oA" },
  clientExtensionResults: {},
};
type RouteCase = {
  method: "get" | "post" | "patch" | "delete";
  path: string;
  access: Access;
  /** The concrete path and a valid body, so that only the credentials are wrong. */
  request: (f: Fixtures) => { path: string; body?: unknown };
  /** The same request aimed at another organisation's resource. */
  foreign?: (f: Fixtures) => { path: string; body?: unknown };
};

const claimsOf = (token: string) => jwt.decode(token) as Record<string, unknown>;

/** The operators' routes, each aimed at the fixtures' organisation or member. */
function operatorRoutes(): RouteCase[] {
  const org = (f: Fixtures) => f.admin.organisation.id;
  const user = (f: Fixtures) => f.member.user.id;
  const reason = { reason: "security suite" };
  return [
    { method: "get", path: "/api/admin/organisations", access: "operator", request: () => ({ path: "/api/admin/organisations" }) },
    {
      method: "get",
      path: "/api/admin/organisations/{id}",
      access: "operator",
      request: (f) => ({ path: `/api/admin/organisations/${org(f)}` }),
    },
    ...(["suspend", "unsuspend"] as const).map(
      (action): RouteCase => ({
        method: "post",
        path: `/api/admin/organisations/{id}/${action}`,
        access: "operator",
        request: (f) => ({ path: `/api/admin/organisations/${org(f)}/${action}`, body: reason }),
      }),
    ),
    {
      method: "post",
      path: "/api/admin/organisations/{id}/plan",
      access: "operator",
      request: (f) => ({ path: `/api/admin/organisations/${org(f)}/plan`, body: { plan: "ENTERPRISE", reason: "security suite" } }),
    },
    {
      method: "delete",
      path: "/api/admin/organisations/{id}",
      access: "operator",
      request: (f) => ({ path: `/api/admin/organisations/${org(f)}`, body: reason }),
    },
    {
      method: "get",
      path: "/api/admin/organisations/{id}/data-export",
      access: "operator",
      request: (f) => ({ path: `/api/admin/organisations/${org(f)}/data-export` }),
    },
    { method: "get", path: "/api/admin/users", access: "operator", request: () => ({ path: "/api/admin/users?email=example" }) },
    { method: "get", path: "/api/admin/users/{id}", access: "operator", request: (f) => ({ path: `/api/admin/users/${user(f)}` }) },
    ...(["revoke-sessions", "disable", "enable"] as const).map(
      (action): RouteCase => ({
        method: "post",
        path: `/api/admin/users/{id}/${action}`,
        access: "operator",
        request: (f) => ({ path: `/api/admin/users/${user(f)}/${action}`, body: reason }),
      }),
    ),
  ];
}

const ROUTES: RouteCase[] = [
  { method: "get", path: "/health", access: "public", request: () => ({ path: "/health" }) },
  { method: "get", path: "/ready", access: "public", request: () => ({ path: "/ready" }) },
  { method: "post", path: "/api/auth/register", access: "public", request: () => ({ path: "/api/auth/register" }) },
  { method: "post", path: "/api/auth/login", access: "public", request: () => ({ path: "/api/auth/login" }) },
  { method: "post", path: "/api/auth/refresh", access: "public", request: () => ({ path: "/api/auth/refresh" }) },
  { method: "post", path: "/api/users/accept-invite", access: "public", request: () => ({ path: "/api/users/accept-invite" }) },
  {
    method: "post",
    path: "/api/auth/logout",
    access: "member",
    request: (f) => ({ path: "/api/auth/logout", body: { refreshToken: f.member.refreshToken } }),
  },
  { method: "get", path: "/api/auth/me", access: "member", request: () => ({ path: "/api/auth/me" }) },
  {
    method: "post",
    path: "/api/auth/switch-organisation",
    access: "member",
    request: (f) => ({ path: "/api/auth/switch-organisation", body: { organisationId: f.admin.organisation.id } }),
  },
  { method: "get", path: "/api/organisations", access: "member", request: () => ({ path: "/api/organisations" }) },
  {
    method: "patch",
    path: "/api/organisations/subscription",
    access: "admin",
    request: () => ({ path: "/api/organisations/subscription", body: { plan: "PRO" } }),
  },
  {
    method: "post",
    path: "/api/organisations/broadcast",
    access: "admin",
    request: () => ({ path: "/api/organisations/broadcast", body: { message: "hello" } }),
  },
  { method: "get", path: "/api/users", access: "admin", request: () => ({ path: "/api/users" }) },
  {
    method: "post",
    path: "/api/users/invite",
    access: "admin",
    request: () => ({ path: "/api/users/invite", body: { email: uniqueEmail("sec"), role: "MEMBER" } }),
  },
  { method: "get", path: "/api/users/invites", access: "admin", request: () => ({ path: "/api/users/invites" }) },
  {
    method: "delete",
    path: "/api/users/invites/{id}",
    access: "admin",
    request: (f) => ({ path: `/api/users/invites/${f.inviteId}` }),
    foreign: (f) => ({ path: `/api/users/invites/${f.foreign.inviteId}` }),
  },
  {
    method: "patch",
    path: "/api/users/{id}/role",
    access: "admin",
    request: (f) => ({ path: `/api/users/${f.member.user.id}/role`, body: { role: "ADMIN" } }),
    foreign: (f) => ({ path: `/api/users/${f.foreign.userId}/role`, body: { role: "ADMIN" } }),
  },
  {
    method: "delete",
    path: "/api/users/{id}",
    access: "admin",
    request: (f) => ({ path: `/api/users/${f.member.user.id}` }),
    foreign: (f) => ({ path: `/api/users/${f.foreign.userId}` }),
  },
  { method: "get", path: "/api/activities", access: "member", request: () => ({ path: "/api/activities" }) },
  { method: "get", path: "/api/activities/export", access: "admin", request: () => ({ path: "/api/activities/export?format=csv" }) },
  { method: "get", path: "/ws", access: "member", request: () => ({ path: "/ws" }) },
  { method: "post", path: "/api/auth/forgot-password", access: "public", request: () => ({ path: "/api/auth/forgot-password" }) },
  { method: "post", path: "/api/auth/reset-password", access: "public", request: () => ({ path: "/api/auth/reset-password" }) },
  {
    method: "post",
    path: "/api/auth/change-password",
    access: "member",
    request: (f) => ({
      path: "/api/auth/change-password",
      body: { currentPassword: f.member.password, newPassword: "a-brand-new-password" },
    }),
  },
  { method: "get", path: "/api/auth/sessions", access: "member", request: () => ({ path: "/api/auth/sessions" }) },
  { method: "post", path: "/api/auth/verify-email", access: "public", request: () => ({ path: "/api/auth/verify-email" }) },
  { method: "post", path: "/api/auth/verify-email/resend", access: "member", request: () => ({ path: "/api/auth/verify-email/resend" }) },
  {
    method: "post",
    path: "/api/organisations",
    access: "member",
    request: () => ({ path: "/api/organisations", body: { name: "Another one" } }),
  },
  {
    method: "delete",
    path: "/api/auth/sessions/{id}",
    access: "member",
    request: (f) => ({ path: `/api/auth/sessions/${claimsOf(f.member.accessToken).sid}` }),
    foreign: (f) => ({ path: `/api/auth/sessions/${f.foreign.sessionId}` }),
  },
  {
    method: "delete",
    path: "/api/auth/me",
    access: "member",
    request: (f) => ({ path: "/api/auth/me", body: { password: f.member.password } }),
  },
  {
    method: "patch",
    path: "/api/organisations",
    access: "admin",
    request: () => ({ path: "/api/organisations", body: { name: "Renamed" } }),
  },
  { method: "post", path: "/api/organisations/leave", access: "member", request: () => ({ path: "/api/organisations/leave" }) },
  {
    method: "delete",
    path: "/api/organisations",
    access: "admin",
    request: (f) => ({ path: "/api/organisations", body: { confirmName: f.admin.organisation.name } }),
  },
  { method: "get", path: "/api/billing", access: "admin", request: () => ({ path: "/api/billing" }) },
  {
    method: "post",
    path: "/api/billing/checkout",
    access: "admin",
    request: () => ({ path: "/api/billing/checkout", body: { plan: "PRO" } }),
  },
  { method: "post", path: "/api/billing/portal", access: "admin", request: () => ({ path: "/api/billing/portal", body: {} }) },
  {
    method: "post",
    path: "/api/auth/2fa/setup",
    access: "member",
    request: (f) => ({ path: "/api/auth/2fa/setup", body: { password: f.member.password } }),
  },
  {
    method: "post",
    path: "/api/auth/2fa/enable",
    access: "member",
    request: () => ({ path: "/api/auth/2fa/enable", body: { code: "123456" } }),
  },
  {
    method: "post",
    path: "/api/auth/2fa/disable",
    access: "member",
    request: (f) => ({ path: "/api/auth/2fa/disable", body: { password: f.member.password, code: "123456" } }),
  },
  {
    method: "post",
    path: "/api/auth/2fa/recovery-codes",
    access: "member",
    request: () => ({ path: "/api/auth/2fa/recovery-codes", body: { code: "123456" } }),
  },
  { method: "post", path: "/api/auth/2fa/verify", access: "public", request: () => ({ path: "/api/auth/2fa/verify" }) },
  {
    method: "post",
    path: "/api/auth/passkeys/register/options",
    access: "member",
    request: () => ({ path: "/api/auth/passkeys/register/options", body: {} }),
  },
  {
    method: "post",
    path: "/api/auth/passkeys/register/verify",
    access: "member",
    request: () => ({ path: "/api/auth/passkeys/register/verify", body: BOGUS_CREDENTIAL }),
  },
  {
    method: "post",
    path: "/api/auth/passkeys/login/options",
    access: "public",
    request: () => ({ path: "/api/auth/passkeys/login/options" }),
  },
  {
    method: "post",
    path: "/api/auth/passkeys/login/verify",
    access: "public",
    request: () => ({ path: "/api/auth/passkeys/login/verify" }),
  },
  { method: "get", path: "/api/auth/passkeys", access: "member", request: () => ({ path: "/api/auth/passkeys" }) },
  {
    method: "patch",
    path: "/api/auth/passkeys/{id}",
    access: "member",
    request: (f) => ({ path: `/api/auth/passkeys/${f.passkeyId}`, body: { name: "Renamed" } }),
    foreign: (f) => ({ path: `/api/auth/passkeys/${f.foreign.passkeyId}`, body: { name: "Mine now" } }),
  },
  {
    method: "delete",
    path: "/api/auth/passkeys/{id}",
    access: "member",
    request: (f) => ({ path: `/api/auth/passkeys/${f.passkeyId}` }),
    foreign: (f) => ({ path: `/api/auth/passkeys/${f.foreign.passkeyId}` }),
  },
  {
    method: "patch",
    path: "/api/organisations/security",
    access: "admin",
    request: () => ({ path: "/api/organisations/security", body: { requireTwoFactor: false } }),
  },
  { method: "get", path: "/api/organisations/data-export", access: "admin", request: () => ({ path: "/api/organisations/data-export" }) },
  ...operatorRoutes(),
  // Stripe's, not a user's: its signature is its credential (attacked in tests/billing.test.ts and the hostile-input suite).
  { method: "post", path: "/api/billing/webhook", access: "public", request: () => ({ path: "/api/billing/webhook" }) },
];

const { api, server } = useTestServer();
let fixtures: Fixtures;

/** Registers a passkey for `session` with a software authenticator; its id. */
async function passkeyOf(session: Session): Promise<string> {
  const authenticator = createAuthenticator(server().base.replace("127.0.0.1", "localhost"));
  const options = await api.post("/api/auth/passkeys/register/options", { token: session.accessToken, body: {} });
  const credential = await authenticator.create((options.body as { data: Parameters<typeof authenticator.create>[0] }).data);
  const stored = await api.post("/api/auth/passkeys/register/verify", { token: session.accessToken, body: credential });
  return (stored.body as { data: { id: string } }).data.id;
}

beforeAll(async () => {
  const admin = await registerOrg(api);
  const member = await addMember(api, admin);
  const pending = await invite(api, admin);
  const other = await registerOrg(api);
  const otherMember = await addMember(api, other);
  const otherInvite = await invite(api, other);
  const weakOperator = await registerOrg(api);
  await grantPlatformRole((await testDatabase()).database.db, weakOperator.email);
  fixtures = {
    admin,
    weakOperator,
    member,
    inviteId: pending.id,
    passkeyId: await passkeyOf(member),
    foreign: {
      userId: otherMember.user.id,
      inviteId: otherInvite.id,
      sessionId: claimsOf(otherMember.accessToken).sid as string,
      passkeyId: await passkeyOf(otherMember),
    },
  };
});

const send = (route: RouteCase, token: string | undefined, request = route.request(fixtures)) =>
  api.call(route.method.toUpperCase(), request.path, { token, body: request.body });

const label = (route: RouteCase) => `${route.method.toUpperCase()} ${route.path}`;
const signedIn = ROUTES.filter((route) => route.access !== "public");

test("every route in the OpenAPI document is in this table", async () => {
  const spec = await fetchSpec(api);
  const documented = Object.entries(spec.paths as Record<string, object>).flatMap(([path, methods]) =>
    Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
  );
  expect(documented.sort()).toEqual(ROUTES.map(label).sort());
});

describe.each(signedIn.map((route) => [label(route), route] as const))("%s", (_, route) => {
  test("no token → 401, nothing changes", async () => {
    const before = await snapshotDatabase();
    const response = await send(route, undefined);
    refusalOf(401, response, "UNAUTHENTICATED");
    expect(await snapshotDatabase()).toEqual(before);
  });

  test("a token signed with another secret → 401", async () => {
    const forged = jwt.sign(claimsOf(fixtures.admin.accessToken), "an-attackers-secret-of-sufficient-length", { algorithm: "HS256" });
    refusalOf(401, await send(route, forged), "UNAUTHENTICATED");
  });

  test("an expired token → 401", async () => {
    const expired = jwt.sign(
      { ...claimsOf(fixtures.admin.accessToken), exp: Math.floor(Date.now() / 1000) - 1 },
      TEST_SECRETS.JWT_ACCESS_SECRET,
      {
        algorithm: "HS256",
      },
    );
    refusalOf(401, await send(route, expired), "UNAUTHENTICATED");
  });

  if (route.access === "operator") {
    test("a tenant ADMIN → 403, nothing changes", async () => {
      const before = await snapshotDatabase();
      refusalOf(403, await send(route, fixtures.admin.accessToken), "FORBIDDEN");
      expect(await snapshotDatabase()).toEqual(before);
    });

    test("an operator signed in without a second factor → 403 TWO_FACTOR_REQUIRED, nothing changes", async () => {
      const before = await snapshotDatabase();
      refusalOf(403, await send(route, fixtures.weakOperator.accessToken), "TWO_FACTOR_REQUIRED");
      expect(await snapshotDatabase()).toEqual(before);
    });
  }

  if (route.access === "admin") {
    test("a MEMBER → 403, nothing changes", async () => {
      const before = await snapshotDatabase();
      const response = await send(route, fixtures.member.accessToken);
      refusalOf(403, response, "FORBIDDEN");
      expect(await snapshotDatabase()).toEqual(before);
    });
  }

  if (route.foreign) {
    const foreign = route.foreign;
    test("another organisation's id → 404, nothing changes", async () => {
      const before = await snapshotDatabase();
      const response = await send(route, fixtures.admin.accessToken, foreign(fixtures));
      refusalOf(404, response, "NOT_FOUND");
      expect(await snapshotDatabase()).toEqual(before);
    });
  }
});
