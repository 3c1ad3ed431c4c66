import { describe, expect, test } from "bun:test";
import { randomUUID } from "node:crypto";
import jwt from "jsonwebtoken";
import * as routes from "../src/modules/auth/auth.routes.ts";
import { parseSignIn, parseWith, refusalOf, saying } from "./support/client.ts";
import { snapshotDatabase } from "./support/db-state.ts";
import { login, memberOfTwo, PASSWORD, registerOrg, uniqueEmail } from "./support/fixtures.ts";
import { TEST_SECRETS, useTestServer } from "./support/server.ts";

const { api } = useTestServer();

const refresh = (refreshToken: string) => api.post("/api/auth/refresh", { body: { refreshToken } });
const me = (accessToken: string) => api.get("/api/auth/me", { token: accessToken });

describe("happy paths", () => {
  test("register creates an organisation whose first member is an ADMIN, signed in", async () => {
    const email = uniqueEmail("reg");
    const response = await api.post("/api/auth/register", {
      body: { name: "Grace", email, password: PASSWORD, organisationName: "Hopper & Co" },
    });
    const { data } = parseWith(routes.register, 201, response);
    expect(data.user).toMatchObject({ name: "Grace", email, role: "ADMIN" });
    expect(data.organisation).toMatchObject({ name: "Hopper & Co", slug: expect.stringMatching(/^hopper-co/), subscriptionPlan: "FREE" });
    expect(data.refreshToken.length).toBeGreaterThanOrEqual(43); // 256 bits, base64url
    expect(response.headers.get("x-request-id")).toBeTruthy();
  });

  test("login returns tokens, user and organisation; me describes the caller", async () => {
    const admin = await registerOrg(api);
    const session = parseSignIn(
      routes.login,
      200,
      await api.post("/api/auth/login", { body: { email: admin.email, password: PASSWORD } }),
    ).data;
    expect(session.user.id).toBe(admin.user.id);
    expect(session.organisation?.id).toBe(admin.organisation.id);

    const { data } = parseWith(routes.me, 200, await me(session.accessToken));
    expect(data.user).toMatchObject({ id: admin.user.id, email: admin.email, role: "ADMIN" });
    expect(data.organisation?.id).toBe(admin.organisation.id);
    expect(data.role).toBe("ADMIN");
    expect(data.memberships).toEqual([{ organisationId: admin.organisation.id, name: admin.organisation.name, role: "ADMIN" }]);
  });

  test("refresh rotates: a new pair comes back and the new access token works", async () => {
    const admin = await registerOrg(api);
    const { data } = parseWith(routes.refresh, 200, await refresh(admin.refreshToken));
    expect(data.refreshToken).not.toBe(admin.refreshToken);
    expect((await me(data.accessToken)).status).toBe(200);
    parseWith(routes.refresh, 200, await refresh(data.refreshToken));
  });

  test("logout revokes the session: refresh and the session's access token both fail", async () => {
    const admin = await registerOrg(api);
    const response = await api.post("/api/auth/logout", { token: admin.accessToken, body: { refreshToken: admin.refreshToken } });
    parseWith(routes.logout, 200, response);
    expect((await refresh(admin.refreshToken)).status).toBe(401);
    expect((await me(admin.accessToken)).status).toBe(401);
  });

  test("switch-organisation to an organisation the caller belongs to returns tokens for it", async () => {
    const { member, other } = await memberOfTwo(api);
    const response = await api.post("/api/auth/switch-organisation", {
      token: member.accessToken,
      body: { organisationId: other.organisation.id },
    });
    const { data } = parseWith(routes.switchOrganisation, 200, response);
    expect(data.organisation?.id).toBe(other.organisation.id);
    expect((await me(data.accessToken)).status).toBe(200);
  });

  test("switch-organisation into the organisation already signed in to is a 409, and mints nothing", async () => {
    const admin = await registerOrg(api);
    const before = await snapshotDatabase();
    const response = await api.post("/api/auth/switch-organisation", {
      token: admin.accessToken,
      body: { organisationId: admin.organisation.id },
    });
    refusalOf(409, response, "CONFLICT");
    expect(await snapshotDatabase()).toEqual(before);
  });
});

describe("credentials", () => {
  test("wrong password and unknown email answer the same 401 with the same message", async () => {
    const admin = await registerOrg(api);
    const wrongPassword = await api.post("/api/auth/login", { body: { email: admin.email, password: "not-the-password" } });
    const unknownEmail = await api.post("/api/auth/login", { body: { email: uniqueEmail("ghost"), password: "not-the-password" } });
    expect(wrongPassword.status).toBe(401);
    expect(unknownEmail.status).toBe(401);
    expect(refusalOf(401, wrongPassword, "INVALID_CREDENTIALS")).toMatchObject(saying(unknownEmail.body));
    expect(saying(wrongPassword.body)).toEqual(saying(unknownEmail.body));
  });

  test("the same email in another letter case cannot register again, and logs in", async () => {
    const admin = await registerOrg(api);
    const shouted = admin.email.toUpperCase();
    const again = await api.post("/api/auth/register", {
      body: { name: "Copy", email: shouted, password: PASSWORD, organisationName: "Copycat" },
    });
    expect(again.status).toBe(409);
    const session = await login(api, `  ${shouted} `);
    expect(session.user.id).toBe(admin.user.id);
  });

  test("concurrent registrations of one email: exactly one account", async () => {
    const email = uniqueEmail("race");
    const attempts = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        api.post("/api/auth/register", { body: { name: `R${i}`, email, password: PASSWORD, organisationName: `Race ${i}` } }),
      ),
    );
    expect(attempts.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409]);
  });
});

// Concurrent refreshes, the grace window and reuse detection: tests/refresh-rotation.test.ts.
describe("refresh token rotation", () => {
  test("a refresh token never seen before is a 401 and revokes nothing", async () => {
    const admin = await registerOrg(api);
    expect((await refresh("made-up-token")).status).toBe(401);
    expect((await refresh(admin.refreshToken)).status).toBe(200);
  });

  test("logging out with someone else's refresh token is refused and leaves their session alive", async () => {
    const victim = await registerOrg(api);
    const attacker = await registerOrg(api);
    const response = await api.post("/api/auth/logout", { token: attacker.accessToken, body: { refreshToken: victim.refreshToken } });
    expect(response.status).toBe(401);
    expect((await refresh(victim.refreshToken)).status).toBe(200);
  });
});

describe("forged and misused access tokens", () => {
  const claimsOf = (token: string) => jwt.decode(token) as Record<string, unknown>;
  const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");

  test.each([
    ["alg none", (token: string) => `${base64url({ alg: "none", typ: "JWT" })}.${base64url(claimsOf(token))}.`],
    [
      "tampered payload (role escalated, signature kept)",
      (token: string) => {
        const [header, , signature] = token.split(".");
        return `${header}.${base64url({ ...claimsOf(token), role: "ADMIN", org: randomUUID() })}.${signature}`;
      },
    ],
    ["wrong secret", (token: string) => jwt.sign(claimsOf(token), "some-other-secret-that-is-long-enough-!!", { algorithm: "HS256" })],
    [
      "expired",
      (token: string) =>
        jwt.sign({ ...claimsOf(token), exp: Math.floor(Date.now() / 1000) - 60 }, TEST_SECRETS.JWT_ACCESS_SECRET, { algorithm: "HS256" }),
    ],
    [
      "a different typ",
      (token: string) => jwt.sign({ ...claimsOf(token), typ: "refresh" }, TEST_SECRETS.JWT_ACCESS_SECRET, { algorithm: "HS256" }),
    ],
    ["HS512 with the right secret", (token: string) => jwt.sign(claimsOf(token), TEST_SECRETS.JWT_ACCESS_SECRET, { algorithm: "HS512" })],
  ])("%s → 401", async (_, forge) => {
    const admin = await registerOrg(api);
    const response = await me(forge(admin.accessToken));
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ success: false, data: null });
  });

  test("a refresh token used as an access token → 401", async () => {
    const admin = await registerOrg(api);
    expect((await me(admin.refreshToken)).status).toBe(401);
  });

  test("no token, or a malformed Authorization header → 401", async () => {
    expect((await api.get("/api/auth/me")).status).toBe(401);
    expect((await api.get("/api/auth/me", { headers: { authorization: "Basic abc" } })).status).toBe(401);
  });
});

describe("switch-organisation", () => {
  test("to an organisation the caller does not belong to: 403 and no tokens", async () => {
    const admin = await registerOrg(api);
    const other = await registerOrg(api);
    const response = await api.post("/api/auth/switch-organisation", {
      token: admin.accessToken,
      body: { organisationId: other.organisation.id },
    });
    expect(refusalOf(403, response).message).toMatch(/not a member/);
  });

  test("to an organisation that does not exist: the same 403", async () => {
    const admin = await registerOrg(api);
    const response = await api.post("/api/auth/switch-organisation", {
      token: admin.accessToken,
      body: { organisationId: randomUUID() },
    });
    expect(response.status).toBe(403);
  });
});
