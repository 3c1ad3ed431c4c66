// Hostile input over every route that reads a body, a path or a query: each must answer a 4xx
// envelope that names the problem — never a 500 — and leave the database exactly as it was.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ERROR_CODES } from "../src/lib/error-codes.ts";
import { ErrorEnvelope } from "../src/lib/response.ts";
import * as activityRoutes from "../src/modules/activity/activity.routes.ts";
import * as authRoutes from "../src/modules/auth/auth.routes.ts";
import * as organisationsRoutes from "../src/modules/organisations/organisations.routes.ts";
import { type ApiResponse, parseWith } from "./support/client.ts";
import { snapshotDatabase } from "./support/db-state.ts";
import { addMember, invite, operatorSession, PASSWORD, registerOrg, type Session, uniqueEmail } from "./support/fixtures.ts";
import { startTestServer, type TestServer, useTestServer } from "./support/server.ts";
import { deliverEvent, type StripeStandin, startStripeStandin, stripeEvent } from "./support/stripe-standin.ts";

type Kind =
  | "instant"
  | "email"
  | "password"
  | "newPassword"
  | "name"
  | "message"
  | "token"
  | "uuid"
  | "role"
  | "plan"
  | "scope"
  | "paidPlan"
  | "url"
  | "code"
  | "recovery"
  | "flag"
  | "base64url";
type Fixtures = { admin: Session; member: Session; inviteToken: string; operator: string };
type BodyRoute = {
  method: "POST" | "PATCH" | "DELETE";
  path: (f: Fixtures) => string;
  token?: (f: Fixtures) => string;
  valid: (f: Fixtures) => Record<string, unknown>;
  fields: Record<string, Kind>;
};

const SQL = "'; DROP TABLE users; --";
const HTML = "<script>alert(1)</script>";
const EMOJI = "🎉🔥";
const CONTROL = "bell\u0007nul\u0000";
const HUGE = "x".repeat(10_000);
const LONE_SURROGATE = "a\udc00b";

/** Values no field of that kind accepts. */
const INVALID: Record<Kind, unknown[]> = {
  email: [`${SQL}@x`, `${HTML}@example.com`, `${EMOJI}@${EMOJI}`, `a${CONTROL}@b.co`, "", "no-at-sign", `${LONE_SURROGATE}@example.com`],
  password: ["", `${"y".repeat(70)}${EMOJI}`, `password-${LONE_SURROGATE}`],
  newPassword: ["short", "🎉", "z".repeat(73), `long-enough-${CONTROL}`, `long-enough-${LONE_SURROGATE}`],
  name: [CONTROL, "   ", "", LONE_SURROGATE, "\ud800"],
  message: [CONTROL, " \n\t ", LONE_SURROGATE, "unpaired high \ud83d at the end"],
  token: ["", LONE_SURROGATE],
  uuid: ["not-a-uuid", SQL, HTML, EMOJI, "00000000-0000-0000-0000-00000000000g"],
  role: ["SUPERADMIN", "admin", SQL, EMOJI],
  plan: ["PLATINUM", "free", SQL, EMOJI],
  scope: ["everywhere", "LOCAL", SQL, EMOJI],
  paidPlan: ["FREE", "PLATINUM", "pro", SQL, EMOJI],
  instant: ["tomorrow", "2026-13-01T00:00:00Z", "0000-01-01T00:00:00Z", SQL, EMOJI],
  code: ["12345", "1234567", "abcdef", SQL, EMOJI, "12 456"],
  recovery: ["", "😀😀😀", SQL, "a\u0000b", LONE_SURROGATE],
  flag: ["true", "yes", 1, SQL],
  base64url: ["not base64url!", SQL, EMOJI, "a+b/c=", LONE_SURROGATE],
  url: [
    "not a url",
    "javascript:alert(1)",
    "ftp://example.com/x",
    `https://example.com/${LONE_SURROGATE}`,
    SQL,
    EMOJI,
    `https://${HUGE}.com`,
  ],
};
const ANY_FIELD: unknown[] = [null, 42, 1e308, true, [], {}, ["a"], HUGE];

const BODY_ROUTES: BodyRoute[] = [
  {
    method: "POST",
    path: () => "/api/auth/register",
    valid: () => ({ name: "Ann", email: uniqueEmail("hostile"), password: PASSWORD, organisationName: "Hostile Org" }),
    fields: { name: "name", email: "email", password: "newPassword", organisationName: "name" },
  },
  {
    method: "POST",
    path: () => "/api/auth/login",
    valid: (f) => ({ email: f.admin.email, password: PASSWORD }),
    fields: { email: "email", password: "password", organisationId: "uuid" },
  },
  {
    method: "POST",
    path: () => "/api/auth/refresh",
    valid: (f) => ({ refreshToken: f.member.refreshToken }),
    fields: { refreshToken: "token" },
  },
  {
    method: "POST",
    path: () => "/api/auth/logout",
    token: (f) => f.member.accessToken,
    valid: (f) => ({ refreshToken: f.member.refreshToken }),
    fields: { refreshToken: "token", scope: "scope" },
  },
  {
    method: "POST",
    path: () => "/api/auth/change-password",
    token: (f) => f.member.accessToken,
    valid: () => ({ currentPassword: PASSWORD, newPassword: "a-fresh-password-1" }),
    fields: { currentPassword: "password", newPassword: "newPassword" },
  },
  { method: "POST", path: () => "/api/auth/forgot-password", valid: (f) => ({ email: f.member.email }), fields: { email: "email" } },
  {
    method: "POST",
    path: () => "/api/auth/reset-password",
    valid: () => ({ token: "a-reset-token-that-does-not-exist", newPassword: "a-fresh-password-1" }),
    fields: { token: "token", newPassword: "newPassword" },
  },
  {
    method: "POST",
    path: () => "/api/auth/verify-email",
    valid: () => ({ token: "a-verification-token-that-does-not-exist" }),
    fields: { token: "token" },
  },
  {
    method: "POST",
    path: () => "/api/organisations",
    token: (f) => f.member.accessToken,
    valid: () => ({ name: "A second organisation" }),
    fields: { name: "name" },
  },
  {
    method: "DELETE",
    path: () => "/api/auth/me",
    token: (f) => f.member.accessToken,
    valid: () => ({ password: PASSWORD }),
    fields: { password: "password" },
  },
  {
    method: "PATCH",
    path: () => "/api/organisations",
    token: (f) => f.admin.accessToken,
    valid: () => ({ name: "A new name" }),
    fields: { name: "name" },
  },
  {
    method: "DELETE",
    path: () => "/api/organisations",
    token: (f) => f.admin.accessToken,
    valid: (f) => ({ confirmName: f.admin.organisation.name }),
    fields: { confirmName: "name" },
  },
  {
    method: "POST",
    path: () => "/api/auth/switch-organisation",
    token: (f) => f.admin.accessToken,
    valid: (f) => ({ organisationId: f.admin.organisation.id }),
    fields: { organisationId: "uuid" },
  },
  {
    method: "PATCH",
    path: () => "/api/organisations/subscription",
    token: (f) => f.admin.accessToken,
    valid: () => ({ plan: "PRO" }),
    fields: { plan: "plan" },
  },
  {
    method: "POST",
    path: () => "/api/organisations/broadcast",
    token: (f) => f.admin.accessToken,
    valid: () => ({ message: "hello" }),
    fields: { message: "message" },
  },
  {
    method: "POST",
    path: () => "/api/users/invite",
    token: (f) => f.admin.accessToken,
    valid: () => ({ email: uniqueEmail("hostile-invite"), role: "MEMBER" }),
    fields: { email: "email", role: "role" },
  },
  {
    method: "POST",
    path: () => "/api/users/accept-invite",
    valid: (f) => ({ token: f.inviteToken, name: "Newcomer", password: PASSWORD }),
    fields: { token: "token", name: "name", password: "newPassword" },
  },
  {
    method: "PATCH",
    path: (f) => `/api/users/${f.member.user.id}/role`,
    token: (f) => f.admin.accessToken,
    valid: () => ({ role: "ADMIN" }),
    fields: { role: "role" },
  },
];

const BOGUS_REGISTRATION = { id: "AAAA", rawId: "AAAA", type: "public-key", response: { clientDataJSON: "e30", attestationObject: "oA" } };
const BOGUS_ASSERTION = {
  id: "AAAA",
  rawId: "AAAA",
  type: "public-key",
  response: { clientDataJSON: "e30", authenticatorData: "AA", signature: "AA" },
};

BODY_ROUTES.push(
  {
    method: "POST",
    path: () => "/api/auth/2fa/setup",
    token: (f) => f.member.accessToken,
    valid: () => ({ password: PASSWORD }),
    fields: { password: "password" },
  },
  {
    method: "POST",
    path: () => "/api/auth/2fa/enable",
    token: (f) => f.member.accessToken,
    valid: () => ({ code: "123456" }),
    fields: { code: "code" },
  },
  {
    method: "POST",
    path: () => "/api/auth/2fa/disable",
    token: (f) => f.member.accessToken,
    valid: () => ({ password: PASSWORD, code: "123456" }),
    fields: { password: "password", code: "code", recoveryCode: "recovery" },
  },
  {
    method: "POST",
    path: () => "/api/auth/2fa/recovery-codes",
    token: (f) => f.member.accessToken,
    valid: () => ({ code: "123456" }),
    fields: { code: "code" },
  },
  {
    method: "POST",
    path: () => "/api/auth/2fa/verify",
    valid: () => ({ mfaToken: "an-mfa-token-nobody-was-given", code: "123456" }),
    fields: { mfaToken: "token", code: "code", recoveryCode: "recovery" },
  },
  {
    method: "POST",
    path: () => "/api/auth/passkeys/register/verify",
    token: (f) => f.member.accessToken,
    valid: () => BOGUS_REGISTRATION,
    fields: { id: "base64url", rawId: "base64url", name: "name" },
  },
  {
    method: "POST",
    path: () => "/api/auth/passkeys/login/verify",
    valid: () => BOGUS_ASSERTION,
    fields: { id: "base64url", rawId: "base64url", organisationId: "uuid" },
  },
  {
    method: "PATCH",
    path: () => "/api/organisations/security",
    token: (f) => f.admin.accessToken,
    valid: () => ({ requireTwoFactor: false }),
    fields: { requireTwoFactor: "flag" },
  },
  {
    method: "POST",
    path: () => "/api/billing/checkout",
    token: (f) => f.admin.accessToken,
    valid: () => ({ plan: "PRO" }),
    fields: { plan: "paidPlan", successUrl: "url", cancelUrl: "url" },
  },
  {
    method: "POST",
    path: () => "/api/billing/portal",
    token: (f) => f.admin.accessToken,
    valid: () => ({}),
    fields: { returnUrl: "url" },
  },
);

const operatorBody = (path: (f: Fixtures) => string, valid: Record<string, unknown>, fields: Record<string, Kind>): BodyRoute => ({
  method: "POST",
  path,
  token: (f) => f.operator,
  valid: () => valid,
  fields,
});

BODY_ROUTES.push(
  operatorBody((f) => `/api/admin/organisations/${f.admin.organisation.id}/suspend`, { reason: "hostile" }, { reason: "message" }),
  operatorBody((f) => `/api/admin/organisations/${f.admin.organisation.id}/unsuspend`, { reason: "hostile" }, { reason: "message" }),
  operatorBody(
    (f) => `/api/admin/organisations/${f.admin.organisation.id}/plan`,
    { plan: "PRO", reason: "hostile" },
    { plan: "plan", reason: "message", until: "instant" },
  ),
  {
    method: "DELETE",
    path: (f) => `/api/admin/organisations/${f.admin.organisation.id}`,
    token: (f) => f.operator,
    valid: () => ({ reason: "hostile" }),
    fields: { reason: "message" },
  },
  ...(["revoke-sessions", "disable", "enable"] as const).map((action) =>
    operatorBody((f) => `/api/admin/users/${f.member.user.id}/${action}`, { reason: "hostile" }, { reason: "message" }),
  ),
);

const BAD_IDS = [
  "not-a-uuid",
  encodeURIComponent("1 OR 1=1"),
  encodeURIComponent(EMOJI),
  encodeURIComponent("../../etc/passwd"),
  "00000000-0000-0000-0000-00000000000g",
];
const PATH_ROUTES: Array<{ method: string; path: (id: string) => string; body?: unknown; operator?: boolean }> = [
  { method: "GET", path: (id: string) => `/api/admin/organisations/${id}`, operator: true },
  { method: "GET", path: (id: string) => `/api/admin/organisations/${id}/data-export`, operator: true },
  { method: "POST", path: (id: string) => `/api/admin/organisations/${id}/suspend`, body: { reason: "x" }, operator: true },
  { method: "POST", path: (id: string) => `/api/admin/organisations/${id}/plan`, body: { plan: "PRO", reason: "x" }, operator: true },
  { method: "DELETE", path: (id: string) => `/api/admin/organisations/${id}`, body: { reason: "x" }, operator: true },
  { method: "GET", path: (id: string) => `/api/admin/users/${id}`, operator: true },
  { method: "POST", path: (id: string) => `/api/admin/users/${id}/disable`, body: { reason: "x" }, operator: true },
  { method: "DELETE", path: (id: string) => `/api/auth/passkeys/${id}` },
  { method: "PATCH", path: (id: string) => `/api/auth/passkeys/${id}`, body: { name: "Laptop" } },
  { method: "DELETE", path: (id: string) => `/api/users/${id}` },
  { method: "PATCH", path: (id: string) => `/api/users/${id}/role`, body: { role: "ADMIN" } },
  { method: "DELETE", path: (id: string) => `/api/users/invites/${id}` },
];

/** Cursors shaped like ours whose dates PostgreSQL cannot hold (or that do not exist). */
const timeCursor = (at: string) => Buffer.from(JSON.stringify([at, "0e6f4e1a-7f43-4d8e-9b0e-6a1f3f0f9c11"])).toString("base64url");
const OUT_OF_RANGE_CURSORS = [
  "0000-01-01T00:00:00.000Z",
  "-000001-01-01T00:00:00.000Z",
  "+275760-09-13T00:00:00.000Z",
  "-271821-04-20T00:00:00.000Z",
  "2025-02-30T00:00:00.000Z",
].map((at) => `cursor=${timeCursor(at)}`);
const BAD_PAGES = [
  "limit=0",
  "limit=-1",
  "limit=101",
  "limit=1e309",
  "limit=99999999999999999999999",
  "limit=abc",
  `limit=${encodeURIComponent(SQL)}`,
  "cursor=garbage",
  `cursor=${HUGE.slice(0, 300)}`,
];
const QUERY_ROUTES: Array<{ path: string; bad: string[]; operator?: boolean }> = [
  {
    path: "/api/admin/organisations",
    bad: [...BAD_PAGES, ...OUT_OF_RANGE_CURSORS, "plan=GOLD", "status=deleted", `query=${"q".repeat(300)}`],
    operator: true,
  },
  { path: "/api/admin/users", bad: ["email=", `email=${"e".repeat(300)}`], operator: true },
  { path: "/api/activities", bad: [...BAD_PAGES, "type=NOT_A_TYPE", `type=${encodeURIComponent(SQL)}`] },
  { path: "/api/users", bad: [...BAD_PAGES, ...OUT_OF_RANGE_CURSORS] },
  { path: "/api/users/invites", bad: [...BAD_PAGES, ...OUT_OF_RANGE_CURSORS] },
];

const { api, server } = useTestServer();
let fixtures: Fixtures;

beforeAll(async () => {
  const admin = await registerOrg(api);
  await api.patch("/api/organisations/subscription", { token: admin.accessToken, body: { plan: "PRO" } });
  const member = await addMember(api, admin);
  fixtures = { admin, member, inviteToken: (await invite(api, admin)).token, operator: (await operatorSession(api)).accessToken };
});

/** A 4xx in the envelope whose message (and, for field problems, `errors`) names what was wrong. */
function expectClearRefusal(response: ApiResponse, what: string, field?: string) {
  expect(response.status, what).toBeGreaterThanOrEqual(400);
  expect(response.status, what).toBeLessThan(500);
  const refusal = ErrorEnvelope.safeParse(response.body);
  if (!refusal.success) throw new Error(`${what}: not the error envelope: ${JSON.stringify(response.body)}`);
  expect(refusal.data.message.length, what).toBeGreaterThan(0);
  // A stable code of the status it came with; a field problem says so by its code too.
  expect(ERROR_CODES[refusal.data.code].status as number, what).toBe(response.status);
  if (response.status === 422) expect(refusal.data.code, what).toBe("VALIDATION_FAILED");
  const paths = (refusal.data.errors ?? []).map((error) => error.path);
  if (field && response.status !== 400 && response.status !== 413) {
    expect(
      paths.map((path) => path.split(".")[0]),
      what,
    ).toContain(field);
  }
  return { message: refusal.data.message, paths };
}

/** Runs every case of one route between two snapshots: none may change anything. */
async function unchangedAfter(cases: Array<() => Promise<void>>) {
  const before = await snapshotDatabase();
  for (const run of cases) await run();
  expect(await snapshotDatabase()).toEqual(before);
}

describe.each(
  BODY_ROUTES.map(
    (route) =>
      [
        `${route.method} ${route.path({ member: { user: { id: "{id}" } }, admin: { organisation: { id: "{id}" } } } as Fixtures)}`,
        route,
      ] as const,
  ),
)("%s", (_, route) => {
  const send = (body: string) => api.call(route.method, route.path(fixtures), { raw: body, token: route.token?.(fixtures) });

  test("malformed JSON, non-object bodies, missing and extra fields", async () => {
    await unchangedAfter([
      async () => {
        const response = await send('{"broken": ');
        expectClearRefusal(response, "malformed JSON");
        expect(response.status).toBe(400);
      },
      ...["[]", "null", '"a string"', "42", "true"].map((body) => async () => {
        const response = await send(body);
        expectClearRefusal(response, `body ${body}`);
        expect(response.status).toBe(422);
      }),
      async () => {
        const response = await send("{}");
        const required = Object.keys(route.fields).filter(
          (field) =>
            !["organisationId", "scope", "successUrl", "cancelUrl", "returnUrl", "code", "recoveryCode", "name", "until"].includes(field) &&
            !(route.path(fixtures).endsWith("accept-invite") && field === "name"),
        );
        const { paths } = expectClearRefusal(response, "empty object");
        for (const field of required) expect(paths).toContain(field);
      },
      async () => {
        const response = await send(JSON.stringify({ ...route.valid(fixtures), isAdmin: true }));
        expectClearRefusal(response, "extra field", "isAdmin");
        expect(response.status).toBe(422);
      },
      async () => {
        const response = await send(`{"__proto__": {"role": "ADMIN"}, ${JSON.stringify(route.valid(fixtures)).slice(1)}`);
        expectClearRefusal(response, "__proto__ key");
      },
    ]);
  });

  test.each(Object.entries(route.fields))(
    "%s: wrong types, nulls, 10 000 characters and values of the wrong shape",
    async (field, kind) => {
      await unchangedAfter(
        [
          ...ANY_FIELD.filter(
            (value) =>
              (kind !== "flag" || typeof value !== "boolean") &&
              !(field === "plan" && value === null && route.token?.(fixtures) === fixtures.operator),
          ),
          ...INVALID[kind],
        ].map((value) => async () => {
          const response = await send(JSON.stringify({ ...route.valid(fixtures), [field]: value }));
          expectClearRefusal(response, `${field} = ${JSON.stringify(value)?.slice(0, 40)}`, field);
        }),
      );
    },
  );
});

describe.each(PATH_ROUTES.map((route) => [`${route.method} ${route.path("{id}")}`, route] as const))("%s", (_, route) => {
  test("ids that are not UUIDs are a 400 naming the id", async () => {
    await unchangedAfter(
      BAD_IDS.map((id) => async () => {
        const token = route.operator ? fixtures.operator : fixtures.admin.accessToken;
        const response = await api.call(route.method, route.path(id), { token, body: route.body });
        expect(response.status, `id ${id}`).toBe(400);
        expect(expectClearRefusal(response, `id ${id}`).paths).toContain("id");
      }),
    );
  });
});

describe.each(QUERY_ROUTES.map((route) => [route.path, route] as const))("GET %s", (_, route) => {
  test("bad limits, cursors and types are a 400 naming the parameter", async () => {
    await unchangedAfter(
      route.bad.map((query) => async () => {
        const response = await api.get(`${route.path}?${query}`, {
          token: route.operator ? fixtures.operator : fixtures.admin.accessToken,
        });
        expectClearRefusal(response, query, query.split("=")[0]);
        expect(response.status).toBe(400);
      }),
    );
  });
});

describe("bodies that are not valid UTF-8", () => {
  test("are refused with a 400 that says so, on every route that reads a body, and nothing is stored", async () => {
    // "Ann" + a lone continuation byte + an overlong encoding + a truncated sequence.
    const invalid = (json: string) =>
      Buffer.concat([
        Buffer.from(json.slice(0, json.indexOf("Ann") + 3)),
        Buffer.from([0x80, 0xc0, 0xaf, 0xe2, 0x82]),
        Buffer.from(json.slice(json.indexOf("Ann") + 3)),
      ]);
    await unchangedAfter(
      BODY_ROUTES.map((route) => async () => {
        const body = JSON.stringify({ ...route.valid(fixtures), name: "Ann", message: "Ann", email: "Ann@example.com" });
        const response = await fetch(`${server().base}${route.path(fixtures)}`, {
          method: route.method,
          headers: { "content-type": "application/json", ...(route.token ? { authorization: `Bearer ${route.token(fixtures)}` } : {}) },
          body: invalid(body),
        });
        const answer: ApiResponse = { status: response.status, body: await response.json(), headers: response.headers };
        expect(answer.status).toBe(400);
        expect(expectClearRefusal(answer, `${route.method} ${route.path(fixtures)}`).message).toMatch(/UTF-8/);
      }),
    );
  });
});

describe("free text is stored verbatim, never interpreted", () => {
  test("SQL, HTML and emoji in names and messages round-trip unchanged", async () => {
    const name = `${SQL} ${HTML} ${EMOJI}`;
    const registered = parseWith(
      authRoutes.register,
      201,
      await api.post("/api/auth/register", {
        body: { name, email: uniqueEmail("verbatim"), password: PASSWORD, organisationName: `${HTML} & ${SQL}` },
      }),
    ).data;
    expect(registered.user.name).toBe(name);
    const token = registered.accessToken;
    const text = `${SQL}\n${HTML}\n${EMOJI}`;
    const broadcast = parseWith(
      organisationsRoutes.broadcast,
      201,
      await api.post("/api/organisations/broadcast", { token, body: { message: text } }),
    );
    expect(broadcast.data.message).toBe(text);
    const feed = parseWith(activityRoutes.listActivities, 200, await api.get("/api/activities", { token }));
    expect(feed.data[0]?.message).toBe(text);
    expect(parseWith(authRoutes.me, 200, await api.get("/api/auth/me", { token })).data.user.name).toBe(name);
  });
});

describe("POST /api/billing/webhook: hostile deliveries, with Stripe on", () => {
  const secret = "whsec_hostile_input_suite";
  let standin: StripeStandin;
  let stripeServer: TestServer;
  beforeAll(async () => {
    standin = await startStripeStandin();
    stripeServer = await startTestServer({
      BILLING_PROVIDER: "stripe",
      STRIPE_SECRET_KEY: "sk_test_hostile",
      STRIPE_WEBHOOK_SECRET: secret,
      STRIPE_API_URL: standin.url,
      STRIPE_PRICE_PRO: "price_pro",
      STRIPE_PRICE_ENTERPRISE: "price_enterprise",
    });
  });
  afterAll(async () => {
    await stripeServer?.stop();
    standin?.stop();
  });

  const post = (body: string | Buffer, headers: Record<string, string>) =>
    fetch(`${stripeServer.base}/api/billing/webhook`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body,
    });
  const answer = async (response: Response): Promise<ApiResponse> => ({
    status: response.status,
    body: await response.json(),
    headers: response.headers,
  });

  test("junk, JSON that is not an event, invalid UTF-8 and forged signatures: 400 naming the signature, nothing stored", async () => {
    await unchangedAfter([
      ...['{"broken": ', "[]", "null", SQL, HTML, EMOJI, JSON.stringify(stripeEvent("customer.subscription.created", {}))].map(
        (body) => async () => {
          for (const signature of [undefined, "t=1,v1=00", `t=${Math.floor(Date.now() / 1000)},v1=${"a".repeat(64)}`]) {
            const response = await answer(await post(body, signature ? { "stripe-signature": signature } : {}));
            expect(expectClearRefusal(response, `${body.slice(0, 20)} signed ${signature}`).message).toMatch(/Stripe-Signature/);
            expect(response.status).toBe(400);
          }
          const forged = await deliverEvent(stripeServer.base, body, "whsec_not_ours");
          expect(forged.status).toBe(400);
          expect(forged.body.code).toBe("WEBHOOK_SIGNATURE_INVALID");
        },
      ),
      async () => {
        const bytes = Buffer.concat([Buffer.from('{"id":"evt_1","type":"Ann'), Buffer.from([0x80, 0xc0]), Buffer.from('"}')]);
        const response = await answer(await post(bytes, { "stripe-signature": "t=1,v1=00" }));
        expect(response.status).toBe(400);
        expect(expectClearRefusal(response, "invalid UTF-8").message).toMatch(/UTF-8/);
      },
    ]);
  });

  test("a body over 512 KB is a 413, even validly signed", async () => {
    const payload = JSON.stringify({ ...stripeEvent("invoice.paid", { id: "in_1", customer: "cus_1" }), padding: "x".repeat(600 * 1024) });
    const response = await deliverEvent(stripeServer.base, payload, secret);
    expect(response.status).toBe(413);
    expect(response.body.code).toBe("PAYLOAD_TOO_LARGE");
  });

  test("a validly signed event of the wrong shape is answered without a 500", async () => {
    for (const object of [{}, { customer: 42 }, { customer: { nested: SQL } }, { customer: null }, { customer: "cus_nobody" }]) {
      const response = await deliverEvent(stripeServer.base, stripeEvent("customer.subscription.updated", object), secret);
      expect(response.status, JSON.stringify(object)).toBeLessThan(500);
    }
  });
});
