import { expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { describeError } from "../src/lib/errors.ts";
import { createLogger } from "../src/lib/logger.ts";
import { testDatabase } from "./support/database.ts";
import { uniqueEmail } from "./support/fixtures.ts";
import { useTestServer } from "./support/server.ts";
import { connectSocket } from "./support/socket.ts";

const lines: string[] = [];
const { api, server } = useTestServer({ LOG_LEVEL: "debug" }, createLogger("debug", (line) => lines.push(line)));

test("a whole session leaves one line per request and none of its secrets in the log", async () => {
  const secrets: string[] = [];
  const keep = <T extends string>(secret: T) => (secrets.push(secret), secret);

  const adminPassword = keep("admin-password-9f8e7d");
  const registered = await api.post("/api/auth/register", {
    body: { name: "Logan", email: uniqueEmail("log"), password: adminPassword, organisationName: "Logged Org" },
  });
  expect(registered.status).toBe(201);
  keep(registered.body.data.accessToken);
  keep(registered.body.data.refreshToken);

  const loggedIn = await api.post("/api/auth/login", { body: { email: registered.body.data.user.email, password: adminPassword } });
  const access = keep(loggedIn.body.data.accessToken as string);
  const refreshed = await api.post("/api/auth/refresh", { body: { refreshToken: keep(loggedIn.body.data.refreshToken) } });
  keep(refreshed.body.data.accessToken);
  keep(refreshed.body.data.refreshToken);

  const invited = await api.post("/api/users/invite", { token: access, headers: {}, body: { email: uniqueEmail("guest"), role: "MEMBER" } });
  const inviteToken = keep(invited.body.data.token as string);
  const memberPassword = keep("member-password-1a2b3c");
  const accepted = await api.post("/api/users/accept-invite", { body: { token: inviteToken, name: "Guest", password: memberPassword } });
  expect(accepted.status).toBe(200);
  keep(accepted.body.data.accessToken);
  keep(accepted.body.data.refreshToken);

  // Both socket styles: the query-string one is the dangerous one for logs.
  const viaQuery = await connectSocket(server().base, access, { auth: "query" });
  await viaQuery.next((m) => m.type === "CONNECTED");
  const viaProtocol = await connectSocket(server().base, access, { auth: "protocol" });
  await viaProtocol.next((m) => m.type === "CONNECTED");
  viaQuery.close();
  viaProtocol.close();

  // Failures log too, and must not echo what they were sent.
  await api.post("/api/auth/login", { body: { email: registered.body.data.user.email, password: keep("wrong-password-77x") } });
  await api.post("/api/auth/refresh", { body: { refreshToken: keep("bogus-refresh-token-abc") } });
  await api.get("/api/organisations", { headers: { authorization: `Bearer ${keep("bogus.access.token")}` } });
  await api.post("/api/auth/login", { raw: `{"password": "${keep("half-sent-password")}"` });

  const log = lines.join("\n");
  for (const secret of secrets) expect(log).not.toContain(secret);
  expect(log).not.toMatch(/authorization/i);
  expect(log).not.toContain("$2b$"); // no password hash either

  const requests = lines.map((line) => JSON.parse(line)).filter((entry) => entry.msg === "request");
  expect(requests).toHaveLength(11); // one line per request, sockets included
  for (const { time, requestId, method, path, status, durationMs } of requests) {
    expect([typeof time, typeof requestId, typeof method, typeof path]).toEqual(["string", "string", "string", "string"]);
    expect([typeof status, typeof durationMs]).toEqual(["number", "number"]);
  }
  const organisationId = registered.body.data.organisation.id;
  expect(requests.filter((entry) => entry.path === "/ws").map((entry) => entry.organisationId)).toEqual([organisationId, organisationId]);
  expect(requests.find((entry) => entry.path === "/api/users/invite")?.organisationId).toBe(organisationId);
});

test("a failed query is described by its SQL and the database's names for things, never a value", async () => {
  const { db } = (await testDatabase()).database;
  const secret = "secret-value-4f2a9c";
  const failures = await Promise.all([
    db.execute(sql`select ${secret}::uuid`).catch((error: unknown) => error),
    db.execute(sql`select ${`0000-01-01 ${secret}`}::timestamptz`).catch((error: unknown) => error),
    db.execute(sql`select ${secret}::jsonb`).catch((error: unknown) => error),
  ]);
  for (const failure of failures) {
    const described = describeError(failure);
    expect(JSON.stringify(described)).not.toContain(secret);
    expect(described.code).toMatch(/^[0-9A-Z]{5}$/);
    expect(String(described.query)).toContain("select $1");
  }
});
