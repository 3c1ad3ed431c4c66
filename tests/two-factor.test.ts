// Second factors over real HTTP: TOTP with recovery codes, the login's second step in every flow
// that signs in, passkeys (a software authenticator; the browser test uses Chromium's), and an
// organisation requiring a second factor of its members, on two instances.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eq, sql } from "drizzle-orm";
import { authChallenges, passkeys as passkeysTable, recoveryCodes, totpFactors } from "../src/db/schema/index.ts";
import { queryRows } from "../src/db/sql.ts";
import { createLogger } from "../src/lib/logger.ts";
import * as authRoutes from "../src/modules/auth/auth.routes.ts";
import * as factorRoutes from "../src/modules/factors/factors.routes.ts";
import { currentCode } from "../src/modules/factors/index.ts";
import * as membersRoutes from "../src/modules/members/members.routes.ts";
import { createAuthenticator } from "./support/authenticator.ts";
import { type Client, createClient, parseSignIn, parseWith, refusalOf } from "./support/client.ts";
import { inDatabase } from "./support/db-state.ts";
import { acceptInvite, addMember, invite, memberOfTwo, PASSWORD, registerOrg, type Session } from "./support/fixtures.ts";
import { startTestServer, type TestServer } from "./support/server.ts";
import { connectSocket } from "./support/socket.ts";

const logLines: string[] = [];
let one: TestServer;
let two: TestServer;
let api: Client;
let viaTwo: Client;
let tight: TestServer;
let tightApi: Client;

beforeAll(async () => {
  one = await startTestServer(
    { LOG_LEVEL: "debug" },
    createLogger("debug", (line) => logLines.push(line)),
  );
  two = await startTestServer();
  tight = await startTestServer({ RATE_LIMIT_ACCOUNT_MAX: "5" });
  api = createClient(one.base);
  viaTwo = createClient(two.base);
  tightApi = createClient(tight.base);
});
afterAll(() => Promise.all([one?.stop(), two?.stop(), tight?.stop()]));

const login = (client: Client, email: string, body: Record<string, unknown> = {}) =>
  client.post("/api/auth/login", { body: { email, password: PASSWORD, ...body } });

/** Codes in other time steps than now, for an account whose last accepted code was this step. */
const codeAt = (secret: string, offsetSteps: number) => currentCode(secret, Date.now() + offsetSteps * 30_000);

/** Turns TOTP on for `session` and returns its secret and recovery codes. */
async function withTotp(session: Session, client = api) {
  const { secret, otpauthUrl } = parseWith(
    factorRoutes.totpSetup,
    200,
    await client.post("/api/auth/2fa/setup", { token: session.accessToken, body: { password: PASSWORD } }),
  ).data;
  expect(otpauthUrl).toStartWith("otpauth://totp/");
  const enabled = parseWith(
    factorRoutes.totpEnable,
    200,
    await client.post("/api/auth/2fa/enable", { token: session.accessToken, body: { code: codeAt(secret, -1) } }),
  ).data;
  return { secret, recoveryCodes: enabled.recoveryCodes };
}

/** The second step a login asks for (and proof it carries no tokens). */
async function secondStep(client: Client, email: string, body: Record<string, unknown> = {}) {
  const response = await login(client, email, body);
  const data = parseWith(authRoutes.login, 200, response).data;
  if (!("mfaRequired" in data)) throw new Error("expected a second step");
  expect(JSON.stringify(response.body)).not.toContain("accessToken");
  return data;
}

const verify = (client: Client, body: Record<string, unknown>) => client.post("/api/auth/2fa/verify", { body });

const methodOfCurrentSession = async (client: Client, accessToken: string) =>
  parseWith(authRoutes.listSessions, 200, await client.get("/api/auth/sessions", { token: accessToken })).data.sessions.find(
    (session) => session.current,
  )?.method;

describe("TOTP", () => {
  test("setup needs the password, returns a secret stored unreadably, and is not in force until a first code", async () => {
    const admin = await registerOrg(api);
    refusalOf(
      401,
      await api.post("/api/auth/2fa/setup", { token: admin.accessToken, body: { password: "wrong-password" } }),
      "INVALID_CREDENTIALS",
    );
    const { secret } = parseWith(
      factorRoutes.totpSetup,
      200,
      await api.post("/api/auth/2fa/setup", { token: admin.accessToken, body: { password: PASSWORD } }),
    ).data;
    const [stored] = await inDatabase((tx) => tx.select().from(totpFactors).where(eq(totpFactors.userId, admin.user.id)));
    expect(stored?.secret).not.toContain(secret);
    expect(stored?.enabledAt).toBeNull();
    // Not yet in force: the password alone still signs in.
    expect(parseSignIn(authRoutes.login, 200, await login(api, admin.email)).data.accessToken).toBeString();

    refusalOf(401, await api.post("/api/auth/2fa/enable", { token: admin.accessToken, body: { code: "000000" } }), "INVALID_CREDENTIALS");
    const enabled = parseWith(
      factorRoutes.totpEnable,
      200,
      await api.post("/api/auth/2fa/enable", { token: admin.accessToken, body: { code: currentCode(secret) } }),
    ).data;
    expect(enabled.recoveryCodes).toHaveLength(10);
    expect(new Set(enabled.recoveryCodes).size).toBe(10);
    const hashes = await inDatabase((tx) => tx.select().from(recoveryCodes).where(eq(recoveryCodes.userId, admin.user.id)));
    expect(hashes).toHaveLength(10);
    for (const code of enabled.recoveryCodes) expect(JSON.stringify(hashes)).not.toContain(code);
  });

  test("login answers mfaRequired with no tokens; a code gives the usual login data and a password+totp session", async () => {
    const admin = await registerOrg(api);
    const { secret } = await withTotp(admin);
    const step = await secondStep(api, admin.email);
    expect(step.methods).toEqual(["totp", "recovery_code"]);
    const signedIn = parseWith(
      authRoutes.verifySecondStep,
      200,
      await verify(api, { mfaToken: step.mfaToken, code: currentCode(secret) }),
    ).data;
    expect(signedIn.organisation?.id).toBe(admin.organisation.id);
    expect(await methodOfCurrentSession(api, signedIn.accessToken)).toBe("password+totp");
  });

  test("a code works once, even within its window; a drift of one step either way is allowed", async () => {
    const admin = await registerOrg(api);
    const { secret } = await withTotp(admin); // spent the code of the step before now
    const first = await secondStep(api, admin.email);
    expect((await verify(api, { mfaToken: first.mfaToken, code: currentCode(secret) })).status).toBe(200);
    const second = await secondStep(api, admin.email);
    refusalOf(401, await verify(api, { mfaToken: second.mfaToken, code: currentCode(secret) }), "INVALID_CREDENTIALS");
    // The next step's code (a phone running 30 s fast) is accepted; two steps ahead is not.
    refusalOf(401, await verify(api, { mfaToken: second.mfaToken, code: codeAt(secret, 2) }), "INVALID_CREDENTIALS");
    expect((await verify(api, { mfaToken: second.mfaToken, code: codeAt(secret, 1) })).status).toBe(200);
  });

  test("the mfaToken works once, for five minutes, and belongs to its login (the organisation it chose included)", async () => {
    const { member, other } = await memberOfTwo(api);
    const { secret } = await withTotp(member);
    const step = await secondStep(api, member.email, { organisationId: other.organisation.id });
    const signedIn = parseWith(
      authRoutes.verifySecondStep,
      200,
      await verify(api, { mfaToken: step.mfaToken, code: currentCode(secret) }),
    ).data;
    expect(signedIn.organisation?.id).toBe(other.organisation.id);
    refusalOf(401, await verify(api, { mfaToken: step.mfaToken, code: codeAt(secret, 1) }), "CHALLENGE_EXPIRED");

    const lapsed = await secondStep(api, member.email);
    await inDatabase((tx) =>
      tx.update(authChallenges).set({ expiresAt: sql`now() - interval '1 second'` }).where(eq(authChallenges.purpose, "mfa")),
    );
    refusalOf(401, await verify(api, { mfaToken: lapsed.mfaToken, code: codeAt(secret, 1) }), "CHALLENGE_EXPIRED");
    refusalOf(401, await verify(api, { mfaToken: "not-a-token-anyone-issued", code: "123456" }), "CHALLENGE_EXPIRED");
  });

  test("a password changed between the two steps voids the step", async () => {
    const admin = await registerOrg(api);
    const { secret } = await withTotp(admin);
    const step = await secondStep(api, admin.email);
    const signedIn = parseWith(
      authRoutes.verifySecondStep,
      200,
      await verify(api, { mfaToken: (await secondStep(api, admin.email)).mfaToken, code: currentCode(secret) }),
    ).data;
    await api.post("/api/auth/change-password", {
      token: signedIn.accessToken,
      body: { currentPassword: PASSWORD, newPassword: "a-brand-new-password" },
    });
    refusalOf(401, await verify(api, { mfaToken: step.mfaToken, code: codeAt(secret, 1) }), "INVALID_CREDENTIALS");
  });

  test("recovery codes: each works once, signing in as recovery_code; a new set voids the old", async () => {
    const admin = await registerOrg(api);
    const { secret, recoveryCodes: codes } = await withTotp(admin);
    const [first, second] = codes as [string, string];
    const used = parseWith(
      authRoutes.verifySecondStep,
      200,
      await verify(api, { mfaToken: (await secondStep(api, admin.email)).mfaToken, recoveryCode: first }),
    ).data;
    expect(await methodOfCurrentSession(api, used.accessToken)).toBe("recovery_code");
    refusalOf(
      401,
      await verify(api, { mfaToken: (await secondStep(api, admin.email)).mfaToken, recoveryCode: first }),
      "INVALID_CREDENTIALS",
    );
    // Typed in capitals, without the dash: the same code.
    const typed = second.toUpperCase().replace("-", "");
    expect((await verify(api, { mfaToken: (await secondStep(api, admin.email)).mfaToken, recoveryCode: typed })).status).toBe(200);

    refusalOf(
      401,
      await api.post("/api/auth/2fa/recovery-codes", { token: used.accessToken, body: { code: "000000" } }),
      "INVALID_CREDENTIALS",
    );
    const renewed = parseWith(
      factorRoutes.recoveryCodes,
      200,
      await api.post("/api/auth/2fa/recovery-codes", { token: used.accessToken, body: { code: currentCode(secret) } }),
    ).data.recoveryCodes;
    refusalOf(
      401,
      await verify(api, { mfaToken: (await secondStep(api, admin.email)).mfaToken, recoveryCode: codes[2] }),
      "INVALID_CREDENTIALS",
    );
    expect((await verify(api, { mfaToken: (await secondStep(api, admin.email)).mfaToken, recoveryCode: renewed[0] })).status).toBe(200);
  });

  test("disabling needs the password and a code; it writes TWO_FACTOR_DISABLED in each organisation and emails the user", async () => {
    const { member, other } = await memberOfTwo(api);
    const { secret, recoveryCodes: codes } = await withTotp(member);
    const token = member.accessToken;
    refusalOf(
      401,
      await api.post("/api/auth/2fa/disable", { token, body: { password: "wrong", code: currentCode(secret) } }),
      "INVALID_CREDENTIALS",
    );
    refusalOf(401, await api.post("/api/auth/2fa/disable", { token, body: { password: PASSWORD, code: "000000" } }), "INVALID_CREDENTIALS");
    refusalOf(422, await api.post("/api/auth/2fa/disable", { token, body: { password: PASSWORD } }), "VALIDATION_FAILED");
    expect((await api.post("/api/auth/2fa/disable", { token, body: { password: PASSWORD, recoveryCode: codes[0] } })).status).toBe(200);

    for (const organisationId of [member.organisation.id, other.organisation.id]) {
      const [row] = await inDatabase((tx) =>
        queryRows<{ n: number }>(
          tx,
          sql`select count(*)::int as n from activities where organisation_id = ${organisationId} and type = 'TWO_FACTOR_DISABLED'
              and metadata->>'userId' = ${member.user.id}`,
        ),
      );
      expect(row?.n).toBe(1);
    }
    await Promise.all([one, two, tight].map((server) => server.mail.sender?.flush()));
    const mail = [one, two, tight].flatMap((server) => server.mail.mailbox?.messages() ?? []).filter((m) => m.to === member.email);
    expect(mail.map((m) => m.subject)).toContain("Two-factor codes were turned off");
    // Off: the password alone signs in again.
    expect(parseSignIn(authRoutes.login, 200, await login(api, member.email)).data.accessToken).toBeString();
  });

  test("20 concurrent wrong codes get at most the account's budget of checks (RATE_LIMIT_ACCOUNT_MAX=5)", async () => {
    const admin = await registerOrg(tightApi);
    const { secret } = await withTotp(admin, tightApi);
    const step = await secondStep(tightApi, admin.email);
    const wrong = String((Number(currentCode(secret)) + 500_000) % 1_000_000).padStart(6, "0");
    const answers = await Promise.all(Array.from({ length: 20 }, () => verify(tightApi, { mfaToken: step.mfaToken, code: wrong })));
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(5);
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(15);
    // Now spent for the account: a password guess meets the same wall.
    expect((await login(tightApi, admin.email, { password: "a-wrong-password" })).status).toBe(429);
  });

  test("a wrong password says exactly what it says for an account without a second factor", async () => {
    const plain = await registerOrg(api);
    const guarded = await registerOrg(api);
    await withTotp(guarded);
    const refusals = await Promise.all(
      [plain, guarded].map(async (session) =>
        refusalOf(401, await login(api, session.email, { password: "not-the-password" }), "INVALID_CREDENTIALS"),
      ),
    );
    expect(refusals[0]?.message).toBe(refusals[1]?.message as string);
  });
});

describe("every flow that signs in honours the second factor", () => {
  test("accept-invite into an existing account: joined, then the second step signs in to the invited organisation", async () => {
    const invitee = await registerOrg(api);
    const { secret } = await withTotp(invitee);
    const host = await registerOrg(api);
    const sent = await invite(api, host, invitee.email);
    const joined = parseWith(membersRoutes.acceptInvite, 200, await acceptInvite(api, sent.token, "ignored")).data;
    if (!("mfaRequired" in joined)) throw new Error("accept-invite signed in without the second factor");
    const signedIn = parseWith(
      authRoutes.verifySecondStep,
      200,
      await verify(api, { mfaToken: joined.mfaToken, code: currentCode(secret) }),
    ).data;
    expect(signedIn.organisation?.id).toBe(host.organisation.id);
  });

  test("reset-password signs out everywhere, and the next sign-in still asks for the code", async () => {
    const admin = await registerOrg(api);
    await withTotp(admin);
    await api.post("/api/auth/forgot-password", { body: { email: admin.email } });
    await Promise.all([one, two, tight].map((server) => server.mail.sender?.flush()));
    const [request] = await inDatabase((tx) =>
      queryRows<{ id: string }>(tx, sql`select id from outbox where lower(recipient) = lower(${admin.email}) and kind = 'password_reset'`),
    );
    expect(request).toBeDefined();
    const body = [one, two, tight]
      .flatMap((server) => server.mail.mailbox?.messages() ?? [])
      .find((mail) => mail.to === admin.email && mail.body.includes("/reset-password"))?.body;
    const token = decodeURIComponent(/token=([^\s&]+)/.exec(body ?? "")?.[1] ?? "");
    expect((await api.post("/api/auth/reset-password", { body: { token, newPassword: "a-reset-password-1" } })).status).toBe(200);
    expect((await api.get("/api/organisations", { token: admin.accessToken })).status).toBe(401);
    const answer = parseWith(authRoutes.login, 200, await login(api, admin.email, { password: "a-reset-password-1" })).data;
    expect("mfaRequired" in answer).toBe(true);
  });

  test("switch-organisation: a second-factor session passes its method on; a password-only session from before the factor does not", async () => {
    const { member, other } = await memberOfTwo(api);
    const before = member; // signed in with the password alone, before the factor existed
    const { secret } = await withTotp(member);
    refusalOf(
      403,
      await api.post("/api/auth/switch-organisation", { token: before.accessToken, body: { organisationId: other.organisation.id } }),
      "TWO_FACTOR_REQUIRED",
    );

    const step = await secondStep(api, member.email);
    const strong = parseWith(
      authRoutes.verifySecondStep,
      200,
      await verify(api, { mfaToken: step.mfaToken, code: currentCode(secret) }),
    ).data;
    const switched = parseWith(
      authRoutes.switchOrganisation,
      200,
      await api.post("/api/auth/switch-organisation", { token: strong.accessToken, body: { organisationId: other.organisation.id } }),
    ).data;
    expect(await methodOfCurrentSession(api, switched.accessToken)).toBe("password+totp");
  });
});

describe("passkeys", () => {
  const origin = () => new URL(one.base.replace("127.0.0.1", "localhost")).origin;

  async function registerPasskey(session: Session, name?: string) {
    const authenticator = createAuthenticator(origin());
    const options = parseWith(
      factorRoutes.passkeyRegistrationOptions,
      200,
      await api.post("/api/auth/passkeys/register/options", { token: session.accessToken, body: {} }),
    ).data as { challenge: string; rp: { id: string }; user: { id: string } };
    expect(options.rp.id).toBe("localhost");
    const credential = await authenticator.create(options);
    const stored = parseWith(
      factorRoutes.passkeyRegister,
      201,
      await api.post("/api/auth/passkeys/register/verify", {
        token: session.accessToken,
        body: { ...credential, ...(name ? { name } : {}) },
      }),
    ).data;
    return { authenticator, stored, credential };
  }

  async function passkeyLogin(authenticator: ReturnType<typeof createAuthenticator>, counter?: number) {
    const options = parseWith(factorRoutes.passkeyLoginOptions, 200, await api.post("/api/auth/passkeys/login/options", { body: {} }))
      .data as {
      challenge: string;
    };
    const assertion = await authenticator.get(options, counter === undefined ? {} : { counter });
    return { response: await api.post("/api/auth/passkeys/login/verify", { body: assertion }), assertion };
  }

  test("register, list with name, created and last used, rename, delete", async () => {
    const admin = await registerOrg(api);
    const { stored } = await registerPasskey(admin, "Laptop");
    expect(stored).toMatchObject({ name: "Laptop", lastUsedAt: null, flagged: false });
    const list = parseWith(factorRoutes.listPasskeys, 200, await api.get("/api/auth/passkeys", { token: admin.accessToken })).data.passkeys;
    expect(list.map((passkey) => passkey.name)).toEqual(["Laptop"]);
    const renamed = await api.patch(`/api/auth/passkeys/${stored.id}`, { token: admin.accessToken, body: { name: "Work laptop" } });
    expect(parseWith(factorRoutes.renamePasskey, 200, renamed).data.name).toBe("Work laptop");
    // Another account's passkey is a 404, as any other tenant's id is.
    const stranger = await registerOrg(api);
    refusalOf(404, await api.delete(`/api/auth/passkeys/${stored.id}`, { token: stranger.accessToken }), "NOT_FOUND");
    expect((await api.delete(`/api/auth/passkeys/${stored.id}`, { token: admin.accessToken })).status).toBe(200);
    expect(
      parseWith(factorRoutes.listPasskeys, 200, await api.get("/api/auth/passkeys", { token: admin.accessToken })).data.passkeys,
    ).toEqual([]);
  });

  test("a passkey alone signs in (method passkey), and counts as the second factor for a password login", async () => {
    const admin = await registerOrg(api);
    const { authenticator } = await registerPasskey(admin);
    const { response } = await passkeyLogin(authenticator);
    const signedIn = parseWith(authRoutes.passkeyLogin, 200, response).data;
    expect(signedIn.user.id).toBe(admin.user.id);
    expect(await methodOfCurrentSession(api, signedIn.accessToken)).toBe("passkey");
    const step = await secondStep(api, admin.email);
    expect(step.methods).toEqual(["passkey"]);
    const list = parseWith(factorRoutes.listPasskeys, 200, await api.get("/api/auth/passkeys", { token: signedIn.accessToken })).data
      .passkeys;
    expect(list[0]?.lastUsedAt).toBeString();
  });

  test("a challenge is single-use and short-lived", async () => {
    const admin = await registerOrg(api);
    const { authenticator } = await registerPasskey(admin);
    const { response, assertion } = await passkeyLogin(authenticator);
    expect(response.status).toBe(200);
    refusalOf(401, await api.post("/api/auth/passkeys/login/verify", { body: assertion }), "INVALID_CREDENTIALS");

    const options = parseWith(factorRoutes.passkeyLoginOptions, 200, await api.post("/api/auth/passkeys/login/options", { body: {} }))
      .data as {
      challenge: string;
    };
    await inDatabase((tx) =>
      tx.update(authChallenges).set({ expiresAt: sql`now() - interval '1 second'` }).where(eq(authChallenges.secret, options.challenge)),
    );
    refusalOf(401, await api.post("/api/auth/passkeys/login/verify", { body: await authenticator.get(options) }), "INVALID_CREDENTIALS");
  });

  test("a cloned authenticator whose counter goes backwards is refused, and its passkey flagged for good", async () => {
    const admin = await registerOrg(api);
    const { authenticator, stored } = await registerPasskey(admin);
    expect((await passkeyLogin(authenticator, 7)).response.status).toBe(200);
    const clone = await passkeyLogin(authenticator, 3);
    expect(refusalOf(401, clone.response, "INVALID_CREDENTIALS").message).toMatch(/counter/);
    const [flagged] = await inDatabase((tx) => tx.select().from(passkeysTable).where(eq(passkeysTable.id, stored.id)));
    expect(flagged?.flaggedAt).toBeInstanceOf(Date);
    refusalOf(401, (await passkeyLogin(authenticator, 50)).response, "INVALID_CREDENTIALS");
  });

  test("a forged assertion (another key's signature) is refused and flags nothing", async () => {
    const admin = await registerOrg(api);
    const { credential, stored } = await registerPasskey(admin);
    const impostor = createAuthenticator(origin());
    await impostor.create({ challenge: "x", rp: { id: "localhost" }, user: { id: "x" } });
    const [impostorCredential] = [...impostor.credentials.values()];
    const options = parseWith(factorRoutes.passkeyLoginOptions, 200, await api.post("/api/auth/passkeys/login/options", { body: {} }))
      .data as {
      challenge: string;
    };
    const forged = await impostor.get(options, { credentialId: impostorCredential?.id, counter: 0 });
    refusalOf(
      401,
      await api.post("/api/auth/passkeys/login/verify", { body: { ...forged, id: credential.id, rawId: credential.id } }),
      "INVALID_CREDENTIALS",
    );
    const [row] = await inDatabase((tx) => tx.select().from(passkeysTable).where(eq(passkeysTable.id, stored.id)));
    expect(row?.flaggedAt).toBeNull();
  });
});

describe("an organisation can require a second factor", () => {
  test("the ADMIN turning it on must have one; members without one are narrowed on every instance, sockets included, until they set one up", async () => {
    const admin = await registerOrg(api);
    const member = await addMember(api, admin);
    refusalOf(
      409,
      await api.patch("/api/organisations/security", { token: admin.accessToken, body: { requireTwoFactor: true } }),
      "CONFLICT",
    );
    const { secret } = await withTotp(admin);
    const step = await secondStep(api, admin.email);
    const strongAdmin = parseWith(
      authRoutes.verifySecondStep,
      200,
      await verify(api, { mfaToken: step.mfaToken, code: currentCode(secret) }),
    ).data;

    expect((await viaTwo.get("/api/organisations", { token: member.accessToken })).status).toBe(200); // cached on instance two
    const socket = await connectSocket(two.base, member.accessToken);
    await socket.next((message) => message.type === "CONNECTED");
    const turnedOn = await api.patch("/api/organisations/security", { token: strongAdmin.accessToken, body: { requireTwoFactor: true } });
    expect(turnedOn.status).toBe(200);

    for (const client of [api, viaTwo]) {
      refusalOf(403, await client.get("/api/organisations", { token: member.accessToken }), "TWO_FACTOR_REQUIRED");
      refusalOf(403, await client.get("/api/activities", { token: member.accessToken }), "TWO_FACTOR_REQUIRED");
    }
    expect((await socket.closed()).code).toBe(4006);
    // A fresh sign-in is narrowed the same way.
    const fresh = parseSignIn(authRoutes.login, 200, await login(api, member.email)).data;
    refusalOf(403, await api.get("/api/users", { token: fresh.accessToken }), "TWO_FACTOR_REQUIRED");
    // The one thing it may do: set up a factor (and say who it is).
    expect((await api.get("/api/auth/me", { token: fresh.accessToken })).status).toBe(200);
    await withTotp(member);
    expect((await viaTwo.get("/api/organisations", { token: member.accessToken })).status).toBe(200);
    expect((await api.get("/api/organisations", { token: fresh.accessToken })).status).toBe(200);
    // The ADMIN sees the change in the feed.
    const [row] = await inDatabase((tx) =>
      queryRows<{ n: number }>(
        tx,
        sql`select count(*)::int as n from activities where organisation_id = ${admin.organisation.id} and type = 'SECURITY_POLICY_CHANGED'`,
      ),
    );
    expect(row?.n).toBe(1);
  });
});

describe("no secret leaks", () => {
  test("the TOTP secret, codes, recovery codes and mfaTokens appear in no log line, and in no response but their own", async () => {
    const admin = await registerOrg(api);
    const { secret, recoveryCodes: codes } = await withTotp(admin);
    const step = await secondStep(api, admin.email);
    const code = currentCode(secret);
    const signedIn = parseWith(authRoutes.verifySecondStep, 200, await verify(api, { mfaToken: step.mfaToken, code })).data;
    const afterwards = await Promise.all(
      ["/api/auth/me", "/api/auth/sessions", "/api/auth/passkeys", "/api/activities"].map(async (path) =>
        JSON.stringify((await api.get(path, { token: signedIn.accessToken })).body),
      ),
    );
    const log = logLines.join("\n");
    for (const value of [secret, code, step.mfaToken, ...codes]) {
      expect(log).not.toContain(value);
      for (const body of afterwards) expect(body).not.toContain(value);
    }
  });
});
