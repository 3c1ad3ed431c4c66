import { expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { describeError } from "../src/lib/errors.ts";
import { createLogger } from "../src/lib/logger.ts";
import * as authRoutes from "../src/modules/auth/auth.routes.ts";
import * as usersRoutes from "../src/modules/members/members.routes.ts";
import { parseSignIn, parseWith } from "./support/client.ts";
import { testDatabase } from "./support/database.ts";
import { uniqueEmail } from "./support/fixtures.ts";
import { useTestServer } from "./support/server.ts";
import { connectSocket } from "./support/socket.ts";

const lines: string[] = [];
const { api, server } = useTestServer(
  { LOG_LEVEL: "debug" },
  createLogger("debug", (line) => lines.push(line)),
);

test("a whole session leaves one line per request and none of its secrets in the log", async () => {
  const secrets: string[] = [];
  const keep = <T extends string>(secret: T) => {
    secrets.push(secret);
    return secret;
  };

  const adminPassword = keep("admin-password-9f8e7d");
  const registered = parseWith(
    authRoutes.register,
    201,
    await api.post("/api/auth/register", {
      body: { name: "Logan", email: uniqueEmail("log"), password: adminPassword, organisationName: "Logged Org" },
    }),
  ).data;
  keep(registered.accessToken);
  keep(registered.refreshToken);

  const loggedIn = parseSignIn(
    authRoutes.login,
    200,
    await api.post("/api/auth/login", { body: { email: registered.user.email, password: adminPassword } }),
  ).data;
  const access = keep(loggedIn.accessToken);
  const refreshed = parseWith(
    authRoutes.refresh,
    200,
    await api.post("/api/auth/refresh", { body: { refreshToken: keep(loggedIn.refreshToken) } }),
  ).data;
  keep(refreshed.accessToken);
  keep(refreshed.refreshToken);

  const invited = parseWith(
    usersRoutes.invite,
    201,
    await api.post("/api/users/invite", { token: access, body: { email: uniqueEmail("guest"), role: "MEMBER" } }),
  ).data;
  const inviteToken = keep(invited.token);
  const memberPassword = keep("member-password-1a2b3c");
  const accepted = parseSignIn(
    usersRoutes.acceptInvite,
    200,
    await api.post("/api/users/accept-invite", { body: { token: inviteToken, name: "Guest", password: memberPassword } }),
  ).data;
  keep(accepted.accessToken);
  keep(accepted.refreshToken);

  // Both socket styles: the query-string one is the dangerous one for logs.
  const viaQuery = await connectSocket(server().base, access, { auth: "query" });
  await viaQuery.next((m) => m.type === "CONNECTED");
  const viaProtocol = await connectSocket(server().base, access, { auth: "protocol" });
  await viaProtocol.next((m) => m.type === "CONNECTED");
  viaQuery.close();
  viaProtocol.close();

  // The account flows: a changed password, a reset by email (its token read from the mailbox).
  const changedPassword = keep("changed-password-5e6f7a");
  expect(
    (await api.post("/api/auth/change-password", { token: access, body: { currentPassword: adminPassword, newPassword: changedPassword } }))
      .status,
  ).toBe(200);
  expect((await api.post("/api/auth/forgot-password", { body: { email: registered.user.email } })).status).toBe(202);
  let resetMail: string | undefined;
  for (let tries = 0; tries < 50 && !resetMail; tries++) {
    await server().mail.sender?.flush();
    resetMail = server()
      .mail.mailbox?.messages()
      .find((mail) => mail.to === registered.user.email && mail.subject.includes("Reset"))?.body;
    if (!resetMail) await Bun.sleep(20);
  }
  const resetToken = keep(decodeURIComponent(/token=(\S+)/.exec(resetMail ?? "")?.[1] ?? "missing"));
  const resetPassword = keep("reset-password-8b9c0d");
  expect((await api.post("/api/auth/reset-password", { body: { token: resetToken, newPassword: resetPassword } })).status).toBe(200);
  expect(
    (await api.delete("/api/auth/me", { token: accepted.accessToken, body: { password: keep("wrong-delete-password") } })).status,
  ).toBe(401);

  // Failures log too, and must not echo what they were sent.
  await api.post("/api/auth/login", { body: { email: registered.user.email, password: keep("wrong-password-77x") } });
  await api.post("/api/auth/refresh", { body: { refreshToken: keep("bogus-refresh-token-abc") } });
  await api.get("/api/organisations", { headers: { authorization: `Bearer ${keep("bogus.access.token")}` } });
  await api.post("/api/auth/login", { raw: `{"password": "${keep("half-sent-password")}"` });

  const log = lines.join("\n");
  for (const secret of secrets) expect(log).not.toContain(secret);
  expect(log).not.toMatch(/authorization/i);
  expect(log).not.toContain("$2b$"); // no password hash either

  const requests = lines.map((line) => JSON.parse(line)).filter((entry) => entry.msg === "request");
  expect(requests).toHaveLength(15); // one line per request, sockets included
  for (const { time, requestId, method, path, status, durationMs } of requests) {
    expect([typeof time, typeof requestId, typeof method, typeof path]).toEqual(["string", "string", "string", "string"]);
    expect([typeof status, typeof durationMs]).toEqual(["number", "number"]);
  }
  const organisationId = registered.organisation.id;
  expect(requests.filter((entry) => entry.path === "/ws").map((entry) => entry.organisationId)).toEqual([organisationId, organisationId]);
  expect(requests.find((entry) => entry.path === "/api/users/invite")?.organisationId).toBe(organisationId);
});

test("a failed query is described by its SQL and the database's names for things, never a value", async () => {
  const { db } = (await testDatabase()).database;
  const secret = "secret-value-4f2a9c";
  const failures = await Promise.all([
    db.execute(sql`select ${secret}::uuid`).catch((error: unknown) => error),
    db.execute(sql`select ${`0000-01-01 ${secret}`}::timestamptz`).catch((error: unknown) => error),
    db.execute(sql`select ${secret}::int`).catch((error: unknown) => error),
  ]);
  for (const failure of failures) {
    const described = describeError(failure);
    expect(JSON.stringify(described)).not.toContain(secret);
    expect(described.code).toMatch(/^[0-9A-Z]{5}$/);
    expect(String(described.query)).toContain("select $1");
  }
});

test("every line a request leads to carries its request id; a secret-bearing field that slips into a line is redacted", async () => {
  const captured: string[] = [];
  const logger = createLogger("info", (line) => captured.push(line));
  const { withLogContext } = await import("../src/lib/logger.ts");
  withLogContext({ requestId: "req-1", traceId: "trace-1" }, () => {
    logger.warn("something in the middle of a request", {
      password: "hunter2-hunter2",
      nested: { refreshToken: "r-secret" },
      kept: "visible",
    });
  });
  logger.info("outside any request");
  const [inside, outside] = captured.map((line) => JSON.parse(line));
  expect(inside).toMatchObject({
    level: "warn",
    msg: "something in the middle of a request",
    requestId: "req-1",
    traceId: "trace-1",
    kept: "visible",
  });
  expect(inside.password).toBe("[redacted]");
  expect(inside.nested.refreshToken).toBe("[redacted]");
  expect(captured.join("\n")).not.toContain("hunter2");
  expect(outside.requestId).toBeUndefined();
  expect(typeof inside.time).toBe("string");
});
