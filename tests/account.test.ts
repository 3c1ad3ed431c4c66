// A user's account over its life: mail that really leaves (over SMTP), password change and reset,
// sessions they can see and end, and deleting the account. Revocations are checked on a second
// instance, where sockets must close too.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eq, sql } from "drizzle-orm";
import { outbox, passwordResets, users } from "../src/db/schema/index.ts";
import * as accountRoutes from "../src/modules/account/account.routes.ts";
import * as authRoutes from "../src/modules/auth/auth.routes.ts";
import { type Client, createClient, parseSignIn, parseWith, refusalOf } from "./support/client.ts";
import { inDatabase, snapshotDatabase } from "./support/db-state.ts";
import { addMember, invite, login, PASSWORD, registerOrg, uniqueEmail } from "./support/fixtures.ts";
import { startTestServer, type TestServer } from "./support/server.ts";
import { type SmtpReceiver, startSmtpReceiver, tokenInLink } from "./support/smtp.ts";
import { connectSocket } from "./support/socket.ts";

const APP_URL = "https://app.example.test";
let smtp: SmtpReceiver;
let one: TestServer;
let two: TestServer;
let api: Client;
let elsewhere: Client;

beforeAll(async () => {
  smtp = await startSmtpReceiver();
  const env = { SMTP_URL: smtp.url, APP_URL, MAIL_FROM: "Team <team@example.test>" };
  [one, two] = await Promise.all([startTestServer(env), startTestServer(env)]);
  api = createClient(one.base);
  elsewhere = createClient(two.base);
});
afterAll(async () => {
  await Promise.all([one.stop(), two.stop()]);
  await smtp.close();
});

const forgot = (email: string) => api.post("/api/auth/forgot-password", { body: { email } });
const reset = (token: string, newPassword: string) => api.post("/api/auth/reset-password", { body: { token, newPassword } });

/** A socket of `token` on the second instance, connected. */
async function socketElsewhere(token: string) {
  const socket = await connectSocket(two.base, token);
  await socket.next((m) => m.type === "CONNECTED");
  return socket;
}

describe("mail through the outbox", () => {
  test("an invitation leaves by SMTP with a link to APP_URL holding the very token the API returned", async () => {
    const admin = await registerOrg(api);
    const email = uniqueEmail("invited");
    const created = await invite(api, admin, email);
    const mail = await smtp.mailTo(email);
    // The organisation's own words are quoted in the body as theirs, never in the subject line.
    expect(mail.subject).toBe("You have been invited to join an organisation");
    expect(mail.subject).not.toContain(admin.organisation.name);
    expect(mail.body).toContain(`Organisation: "${admin.organisation.name}"`);
    expect(mail.body).toContain("chosen by that organisation's members, not by us");
    expect(mail.body).toContain(`${APP_URL}/accept-invite?token=`);
    expect(tokenInLink(mail.body, "/accept-invite")).toBe(created.token);
    // The token appears once, inside the link, and nowhere else in the message.
    expect(mail.raw.split(created.token).length - 1).toBe(1);
    // Marked sent once the transport accepted it: the sender commits just after the hand-over.
    const sentRow = async () =>
      (
        await inDatabase((tx) =>
          tx.select({ sentAt: outbox.sentAt, attempts: outbox.attempts }).from(outbox).where(eq(outbox.recipient, email)),
        )
      )[0];
    for (let tries = 0; tries < 100 && !(await sentRow())?.sentAt; tries++) await Bun.sleep(20);
    const row = await sentRow();
    expect(row?.sentAt).toBeInstanceOf(Date);
    expect(row?.attempts).toBe(1);
  });

  test("an invite that fails queues no mail", async () => {
    const admin = await registerOrg(api);
    const email = uniqueEmail("twice");
    await invite(api, admin, email);
    const before = await inDatabase((tx) => tx.select().from(outbox).where(eq(outbox.recipient, email)));
    expect((await api.post("/api/users/invite", { token: admin.accessToken, body: { email, role: "MEMBER" } })).status).toBe(409);
    expect(await inDatabase((tx) => tx.select().from(outbox).where(eq(outbox.recipient, email)))).toHaveLength(before.length);
  });
});

describe("forgotten password", () => {
  test("always 202, with the same answer whether or not the email has an account; only an account gets mail", async () => {
    const admin = await registerOrg(api);
    const nobody = uniqueEmail("nobody");
    const [known, unknown] = [await forgot(admin.email), await forgot(nobody)];
    expect([known.status, unknown.status]).toEqual([202, 202]);
    expect(known.body).toEqual(unknown.body);
    const mail = await smtp.mailTo(admin.email, (m) => m.subject.includes("Reset"));
    expect(mail.body).toContain(`${APP_URL}/reset-password?token=`);
    await Bun.sleep(300);
    expect(smtp.received.some((m) => m.to.includes(nobody))).toBe(false);
    const [stored] = await inDatabase((tx) =>
      tx
        .select({ hash: passwordResets.tokenHash })
        .from(passwordResets)
        .innerJoin(users, eq(users.id, passwordResets.userId))
        .where(eq(users.email, admin.email)),
    );
    expect(stored?.hash).not.toBe(tokenInLink(mail.body, "/reset-password")); // stored hashed
  });

  test("a reset sets the new password and ends every session, on every instance; the link works once", async () => {
    const admin = await registerOrg(api);
    const second = await login(api, admin.email);
    const socket = await socketElsewhere(second.accessToken);
    await forgot(admin.email);
    const token = tokenInLink((await smtp.mailTo(admin.email, (m) => m.subject.includes("Reset"))).body, "/reset-password");

    parseWith(accountRoutes.resetPassword, 200, await reset(token, "a-brand-new-password"));
    expect((await socket.closed(2000)).code).toBe(4001);
    for (const session of [admin, second]) {
      expect((await elsewhere.get("/api/organisations", { token: session.accessToken })).status).toBe(401);
      expect((await api.post("/api/auth/refresh", { body: { refreshToken: session.refreshToken } })).status).toBe(401);
    }
    expect((await api.post("/api/auth/login", { body: { email: admin.email, password: PASSWORD } })).status).toBe(401);
    await login(api, admin.email, "a-brand-new-password");
    expect(refusalOf(400, await reset(token, "yet-another-password")).message).toMatch(/already been used/);
  });

  test("an expired link is a 410 and changes nothing; an unknown one a 400", async () => {
    const admin = await registerOrg(api);
    await forgot(admin.email);
    const token = tokenInLink((await smtp.mailTo(admin.email, (m) => m.subject.includes("Reset"))).body, "/reset-password");
    await inDatabase((tx) =>
      tx.execute(sql`update password_resets set expires_at = now() - interval '1 second' where user_id = ${admin.user.id}`),
    );
    const before = await snapshotDatabase();
    expect(refusalOf(410, await reset(token, "a-brand-new-password")).message).toMatch(/expired/);
    expect(refusalOf(400, await reset("not-a-token-we-ever-issued", "a-brand-new-password")).message).toMatch(/not valid/);
    expect(await snapshotDatabase()).toEqual(before);
  });

  test("two resets with one token at once: exactly one wins", async () => {
    const admin = await registerOrg(api);
    await forgot(admin.email);
    const token = tokenInLink((await smtp.mailTo(admin.email, (m) => m.subject.includes("Reset"))).body, "/reset-password");
    const outcomes = await Promise.all([
      reset(token, "first-new-password"),
      reset(token, "second-new-password"),
      reset(token, "third-new-password"),
    ]);
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual([200, 400, 400]);
    const winner = ["first-new-password", "second-new-password", "third-new-password"][
      outcomes.findIndex((outcome) => outcome.status === 200)
    ];
    await login(api, admin.email, winner);
  });
});

describe("changing the password", () => {
  test("needs the current one; this session stays, every other one ends (its socket closes 4001)", async () => {
    const admin = await registerOrg(api);
    const other = await login(api, admin.email);
    const socket = await socketElsewhere(other.accessToken);
    const change = (currentPassword: string) =>
      api.post("/api/auth/change-password", { token: admin.accessToken, body: { currentPassword, newPassword: "changed-password-1" } });

    refusalOf(401, await change("not-the-password"));
    expect((await api.get("/api/organisations", { token: other.accessToken })).status).toBe(200);

    parseWith(accountRoutes.changePassword, 200, await change(PASSWORD));
    expect((await socket.closed(2000)).code).toBe(4001);
    expect((await elsewhere.get("/api/organisations", { token: other.accessToken })).status).toBe(401);
    expect((await elsewhere.get("/api/organisations", { token: admin.accessToken })).status).toBe(200);
    await login(api, admin.email, "changed-password-1");
  });
});

describe("sessions", () => {
  test("the list shows each live session with its client and address, the current one marked", async () => {
    const admin = await registerOrg(api);
    const phone = parseSignIn(
      authRoutes.login,
      200,
      await api.post("/api/auth/login", { body: { email: admin.email, password: PASSWORD }, headers: { "user-agent": "Phone/1.0" } }),
    ).data;
    const { sessions } = parseWith(authRoutes.listSessions, 200, await api.get("/api/auth/sessions", { token: phone.accessToken })).data;
    expect(sessions).toHaveLength(2);
    const current = sessions.find((session) => session.current);
    expect(current).toMatchObject({ userAgent: "Phone/1.0", organisationId: admin.organisation.id });
    expect(current?.ip).toMatch(/127\.0\.0\.1|::1/);
    expect(sessions.filter((session) => session.current)).toHaveLength(1);
  });

  test("ending one of your sessions signs it out everywhere; another user's session is a 404", async () => {
    const admin = await registerOrg(api);
    const laptop = await login(api, admin.email);
    const socket = await socketElsewhere(laptop.accessToken);
    const stranger = await registerOrg(api);
    const strangers = parseWith(authRoutes.listSessions, 200, await api.get("/api/auth/sessions", { token: stranger.accessToken })).data
      .sessions;
    const before = await snapshotDatabase();
    refusalOf(404, await api.delete(`/api/auth/sessions/${strangers[0]?.id}`, { token: admin.accessToken }));
    expect(await snapshotDatabase()).toEqual(before);

    const mine = parseWith(authRoutes.listSessions, 200, await api.get("/api/auth/sessions", { token: admin.accessToken })).data.sessions;
    const laptopSession = mine.find((session) => !session.current);
    parseWith(authRoutes.endSession, 200, await api.delete(`/api/auth/sessions/${laptopSession?.id}`, { token: admin.accessToken }));
    expect((await socket.closed(2000)).code).toBe(4001);
    expect((await elsewhere.get("/api/organisations", { token: laptop.accessToken })).status).toBe(401);
    expect((await elsewhere.get("/api/organisations", { token: admin.accessToken })).status).toBe(200);
    refusalOf(404, await api.delete(`/api/auth/sessions/${laptopSession?.id}`, { token: admin.accessToken }));
  });

  test.each([
    ["local", [false, true, true]],
    ["others", [true, false, false]],
    ["global", [false, false, false]],
  ] as const)("logout with scope %s", async (scope, alive) => {
    const admin = await registerOrg(api);
    const [b, c] = [await login(api, admin.email), await login(api, admin.email)];
    parseWith(
      authRoutes.logout,
      200,
      await api.post("/api/auth/logout", { token: admin.accessToken, body: { refreshToken: admin.refreshToken, scope } }),
    );
    const statuses = await Promise.all(
      [admin, b, c].map(async (session) => (await elsewhere.get("/api/auth/me", { token: session.accessToken })).status),
    );
    expect(statuses).toEqual(alive.map((live) => (live ? 200 : 401)));
  });

  test("logout needs a refresh token of the caller's", async () => {
    const admin = await registerOrg(api);
    const stranger = await registerOrg(api);
    const before = await snapshotDatabase();
    refusalOf(
      401,
      await api.post("/api/auth/logout", { token: admin.accessToken, body: { refreshToken: stranger.refreshToken, scope: "global" } }),
    );
    expect(await snapshotDatabase()).toEqual(before);
  });
});

describe("deleting the account", () => {
  test("needs the password, and is refused while the last ADMIN of an organisation, naming it", async () => {
    const admin = await registerOrg(api);
    const before = await snapshotDatabase();
    refusalOf(401, await api.delete("/api/auth/me", { token: admin.accessToken, body: { password: "not-it-at-all" } }));
    expect(refusalOf(409, await api.delete("/api/auth/me", { token: admin.accessToken, body: { password: PASSWORD } })).message).toContain(
      admin.organisation.name,
    );
    expect(await snapshotDatabase()).toEqual(before);
  });

  test("a member's account goes: signed out everywhere, the feed keeps their name and says they left", async () => {
    const admin = await registerOrg(api);
    const member = await addMember(api, admin);
    // Mail to them, sent (their invitation) and waiting (a reset link asked for): none of it may stay.
    expect((await forgot(member.email)).status).toBe(202);
    const mailTo = () =>
      inDatabase((tx) => tx.select({ id: outbox.id }).from(outbox).where(sql`lower(${outbox.recipient}) = ${member.email}`));
    expect((await mailTo()).length).toBeGreaterThanOrEqual(2);
    await api.post("/api/organisations/broadcast", { token: member.accessToken, body: { message: "from the member" } });
    const socket = await socketElsewhere(member.accessToken);
    parseWith(
      accountRoutes.deleteAccount,
      200,
      await api.delete("/api/auth/me", { token: member.accessToken, body: { password: member.password } }),
    );
    expect([4001, 4003]).toContain((await socket.closed(2000)).code);
    expect((await elsewhere.get("/api/auth/me", { token: member.accessToken })).status).toBe(401);
    expect((await api.post("/api/auth/login", { body: { email: member.email, password: member.password } })).status).toBe(401);
    expect(await inDatabase((tx) => tx.select().from(users).where(eq(users.id, member.user.id)))).toHaveLength(0);
    expect(await mailTo()).toEqual([]);
    const feed = (await api.get("/api/activities", { token: admin.accessToken })).body as {
      data: Array<{ type: string; message: string }>;
    };
    expect(feed.data[0]).toMatchObject({ type: "USER_LEFT", message: `${member.user.name} deleted their account` });
    expect(feed.data.some((entry) => entry.type === "USER_JOINED" && entry.message.includes(member.user.name))).toBe(true);
  });
});
