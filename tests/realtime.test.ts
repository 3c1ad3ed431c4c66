import { afterEach, describe, expect, test } from "bun:test";
import { and, asc, eq, gt } from "drizzle-orm";
import jwt from "jsonwebtoken";
import pg from "pg";
import { activities } from "../src/db/schema/index.ts";
import { withOrg } from "../src/db/tenant.ts";
import { recordActivity } from "../src/modules/activity/activity.record.ts";
import * as activityRoutes from "../src/modules/activity/activity.routes.ts";
import * as usersRoutes from "../src/modules/members/members.routes.ts";
import * as organisationsRoutes from "../src/modules/organisations/organisations.routes.ts";
import { createClient, parseSignIn, parseWith } from "./support/client.ts";
import { testDatabase } from "./support/database.ts";
import { inDatabase } from "./support/db-state.ts";
import { acceptInvite, addMember, changePlan, invite, registerOrg, type Session } from "./support/fixtures.ts";
import { startTestServer, TEST_SECRETS, useTestServer } from "./support/server.ts";
import { attemptUpgrade, connectSocket, type TestSocket } from "./support/socket.ts";

const { api, server } = useTestServer();
const sockets: TestSocket[] = [];
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close();
});

async function open(base: string, token: string, options?: Parameters<typeof connectSocket>[2]) {
  const socket = await connectSocket(base, token, options);
  sockets.push(socket);
  await socket.next((m) => m.type === "CONNECTED");
  return socket;
}

const broadcast = (admin: Session, message: string, client = api) =>
  client.post("/api/organisations/broadcast", { token: admin.accessToken, body: { message } });

const activityIdsAfter = async (organisationId: string, after: bigint) =>
  (
    await inDatabase((tx) =>
      tx
        .select({ id: activities.id })
        .from(activities)
        .where(and(eq(activities.organisationId, organisationId), gt(activities.id, after)))
        .orderBy(asc(activities.id)),
    )
  ).map((row) => row.id.toString());

describe("connecting", () => {
  test("the first message is CONNECTED with userId, organisationId and role", async () => {
    const admin = await registerOrg(api);
    const socket = await connectSocket(server().base, admin.accessToken);
    sockets.push(socket);
    const first = await socket.next();
    expect(first).toMatchObject({
      type: "CONNECTED",
      payload: { userId: admin.user.id, organisationId: admin.organisation.id, role: "ADMIN" },
    });
    expect(Date.parse(first.at)).not.toBeNaN();
  });

  test("the bearer protocol header is answered with protocol bearer; ?token= works too", async () => {
    const admin = await registerOrg(api);
    const viaProtocol = await open(server().base, admin.accessToken, { auth: "protocol" });
    expect(viaProtocol.protocol).toBe("bearer");
    const viaQuery = await open(server().base, admin.accessToken, { auth: "query" });
    expect(viaQuery.received[0]?.type).toBe("CONNECTED");
  });

  test.each([
    ["no token", "/ws", {}],
    ["a bad token in the query", "/ws?token=not-a-jwt", {}],
    ["a bad token in the protocol header", "/ws", { "sec-websocket-protocol": "bearer, not-a-jwt" }],
    ["a token signed with another secret", `/ws?token=${jwt.sign({ sub: crypto.randomUUID() }, "x".repeat(40))}`, {}],
  ])("%s is refused with 401 before the upgrade", async (_, path, headers) => {
    const response = await attemptUpgrade(server().base, path, headers);
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ success: false, data: null });
  });

  test("PING gets PONG; junk is ignored and the socket stays open", async () => {
    const admin = await registerOrg(api);
    const socket = await open(server().base, admin.accessToken);
    socket.send("this is not json");
    socket.send({ type: "NOT_A_THING" });
    socket.send("[1,2,3]");
    socket.send({ type: "PING" });
    // Nothing answers the junk, so the very next message is the PONG.
    expect((await socket.next()).type).toBe("PONG");
    expect(socket.received.map((m) => m.type)).toEqual(["CONNECTED", "PONG"]);
  });
});

describe("delivery", () => {
  test("every event type reaches every socket of its organisation and no socket of another", async () => {
    const admin = await registerOrg(api);
    const colleague = await addMember(api, admin);
    const stranger = await registerOrg(api);
    const [adminSocket, colleagueSocket, strangerSocket] = await Promise.all([
      open(server().base, admin.accessToken),
      open(server().base, colleague.accessToken),
      open(server().base, stranger.accessToken),
    ]);

    const email = `rt-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const created = await invite(api, admin, email);
    const joined = parseSignIn(usersRoutes.acceptInvite, 200, await acceptInvite(api, created.token, "Rita")).data;
    await api.patch(`/api/users/${joined.user.id}/role`, { token: admin.accessToken, body: { role: "ADMIN" } });
    await changePlan(api, admin, "PRO");
    const revocable = await invite(api, admin);
    await api.delete(`/api/users/invites/${revocable.id}`, { token: admin.accessToken });
    await broadcast(admin, "hello team");
    await changePlan(api, admin, "FREE");
    await api.patch(`/api/users/${joined.user.id}/role`, { token: admin.accessToken, body: { role: "MEMBER" } });
    await api.delete(`/api/users/${joined.user.id}`, { token: admin.accessToken });

    const expected = [
      "INVITE_SENT",
      "USER_JOINED",
      "USER_ROLE_CHANGED",
      "PLAN_UPGRADED",
      "INVITE_SENT",
      "INVITE_REVOKED",
      "BROADCAST_MESSAGE",
      "PLAN_DOWNGRADED",
      "USER_ROLE_CHANGED",
      "USER_REMOVED",
    ];
    for (const socket of [adminSocket, colleagueSocket]) {
      const events = [];
      for (const type of expected) events.push(await socket.next((m) => m.type === type));
      const ids = events.map((event) => BigInt(event.id as string));
      expect(ids).toEqual([...ids].sort((a, b) => (a < b ? -1 : 1)));

      const byType = Object.fromEntries(events.map((event) => [event.type, event.payload]));
      expect(byType.USER_JOINED).toEqual({ userId: joined.user.id, name: "Rita", email, role: "MEMBER" });
      expect(byType.PLAN_DOWNGRADED).toMatchObject({ from: "PRO", to: "FREE", downgradedAt: expect.any(String) });
      expect(events.find((e) => e.type === "PLAN_UPGRADED")?.payload).toMatchObject({
        from: "FREE",
        to: "PRO",
        upgradedAt: expect.any(String),
      });
      expect(byType.BROADCAST_MESSAGE).toMatchObject({ message: "hello team", sentBy: { id: admin.user.id }, sentAt: expect.any(String) });
      expect(byType.USER_REMOVED).toMatchObject({ userId: joined.user.id, removedBy: { id: admin.user.id } });
      expect(JSON.stringify(events)).not.toContain(created.token);
    }

    // The stranger's organisation hears only its own events.
    await broadcast(stranger, "only for strangers");
    await strangerSocket.next((m) => m.type === "BROADCAST_MESSAGE");
    expect(strangerSocket.received.map((m) => m.type)).toEqual(["CONNECTED", "BROADCAST_MESSAGE"]);
  });

  test("an event larger than NOTIFY's 8000-byte limit arrives whole (notifications carry ids, not payloads)", async () => {
    const admin = await registerOrg(api);
    const socket = await open(server().base, admin.accessToken);
    const message = "🎉".repeat(2000); // 8000 bytes of UTF-8 before any JSON around it
    expect((await broadcast(admin, message)).status).toBe(201);
    const event = await socket.next((m) => m.type === "BROADCAST_MESSAGE");
    expect(event.payload.message).toBe(message);
  });

  test("a transaction that fails after recordActivity sends nothing", async () => {
    const admin = await registerOrg(api);
    const socket = await open(server().base, admin.accessToken);
    const { db } = (await testDatabase()).database;
    const author = { orgId: admin.organisation.id, userId: admin.user.id, name: admin.user.name, email: admin.email };
    const failed = withOrg(db, admin.organisation.id, async (tx) => {
      await recordActivity(tx, author, {
        type: "BROADCAST_MESSAGE",
        payload: {
          message: "never committed",
          sentBy: { id: admin.user.id, name: admin.user.name, email: admin.email },
          sentAt: new Date().toISOString(),
        },
      });
      throw new Error("the change failed after its activity was written");
    });
    await expect(failed).rejects.toThrow(/failed after/);

    await broadcast(admin, "committed");
    const delivered = await socket.next((m) => m.type === "BROADCAST_MESSAGE");
    expect(delivered.payload.message).toBe("committed");
    expect(socket.received.some((m) => m.payload?.message === "never committed")).toBe(false);
  });

  test("two instances, one database: a socket on one hears a change made through the other", async () => {
    const second = await startTestServer();
    try {
      const admin = await registerOrg(api);
      const socket = await open(server().base, admin.accessToken);
      const sent = parseWith(
        organisationsRoutes.broadcast,
        201,
        await broadcast(admin, "via instance two", createClient(second.base)),
      ).data;
      const event = await socket.next((m) => m.type === "BROADCAST_MESSAGE");
      expect(event).toMatchObject({ payload: { message: "via instance two" }, id: sent.id });
    } finally {
      await second.stop();
    }
  });
});

describe("a room's starting point, across instances", () => {
  test("the first socket of an organisation on an instance gets what another instance commits before its room's first read", async () => {
    let held: Promise<void> | undefined;
    let release = () => {};
    const second = await startTestServer({}, undefined, {
      wrapRealtimeReads: (reads) => ({
        ...reads,
        messagesAfter: async (...args) => {
          await held;
          return reads.messagesAfter(...args);
        },
      }),
    });
    try {
      const admin = await registerOrg(api);
      held = new Promise<void>((resolve) => (release = resolve));
      const socket = await open(second.base, admin.accessToken);
      const connected = socket.received[0];
      // Both commit (through the other instance) while the new room's first read is held back.
      const sent: string[] = [];
      for (const text of ["first", "second"])
        sent.push(parseWith(organisationsRoutes.broadcast, 201, await broadcast(admin, text)).data.id);
      release();
      const delivered = await socket.collect("BROADCAST_MESSAGE", 2);
      expect(delivered.map((m) => m.id)).toEqual(sent);
      expect(sent.map(BigInt)).toEqual([BigInt(connected?.payload.lastActivityId) + 1n, BigInt(connected?.payload.lastActivityId) + 2n]);
    } finally {
      release();
      await second.stop();
    }
  });
});

describe("revocation across instances", () => {
  test("a member removed through one instance is refused by the other on the very next request", async () => {
    const second = await startTestServer();
    try {
      const admin = await registerOrg(api);
      const member = await addMember(api, admin);
      expect((await api.get("/api/organisations", { token: member.accessToken })).status).toBe(200); // now cached here
      const socket = await open(server().base, member.accessToken);

      await createClient(second.base).delete(`/api/users/${member.user.id}`, { token: admin.accessToken });
      // This instance closes the socket from the same notification handler, just after it
      // drops the cached session: once the close arrives, the cache has heard.
      expect((await socket.closed(2000)).code).toBe(4003);
      expect((await api.get("/api/organisations", { token: member.accessToken })).status).toBe(401);
    } finally {
      await second.stop();
    }
  });
});

describe("resume", () => {
  test("reconnecting with since replays exactly the missed events, in order, then goes live", async () => {
    const admin = await registerOrg(api);
    const first = await open(server().base, admin.accessToken);
    await broadcast(admin, "seen");
    const seen = await first.next((m) => m.type === "BROADCAST_MESSAGE");
    first.close();
    await first.closed();

    for (let i = 1; i <= 5; i++) await broadcast(admin, `missed ${i}`);
    const resumed = await open(server().base, admin.accessToken, { since: seen.id });
    const replayed = await resumed.collect("BROADCAST_MESSAGE", 5);
    expect(replayed.map((m) => m.payload.message)).toEqual(["missed 1", "missed 2", "missed 3", "missed 4", "missed 5"]);

    await broadcast(admin, "live");
    await resumed.collect("BROADCAST_MESSAGE", 6);
    expect(resumed.received.filter((m) => m.type === "BROADCAST_MESSAGE").map((m) => m.payload.message)).toEqual([
      "missed 1",
      "missed 2",
      "missed 3",
      "missed 4",
      "missed 5",
      "live",
    ]);
  });

  test("events committed during the replay arrive once each, in order, with no gap", async () => {
    const admin = await registerOrg(api);
    await broadcast(admin, "baseline");
    const [baseline] = parseWith(
      activityRoutes.listActivities,
      200,
      await api.get("/api/activities?limit=1", { token: admin.accessToken }),
    ).data;
    if (!baseline) throw new Error("the baseline broadcast is missing from the feed");
    for (let i = 0; i < 20; i++) await broadcast(admin, `before ${i}`);

    const during = Promise.all(Array.from({ length: 20 }, (_, i) => broadcast(admin, `during ${i}`)));
    const resumed = await open(server().base, admin.accessToken, { since: baseline.id });
    await during;
    const received = await resumed.collect("BROADCAST_MESSAGE", 40, 10_000);

    const expected = await activityIdsAfter(admin.organisation.id, BigInt(baseline.id));
    expect(received.map((m) => m.id)).toEqual(expected);
  });

  test("a bad since is a 400 before the upgrade", async () => {
    const admin = await registerOrg(api);
    for (const since of ["abc", "-1", "9999999999999999999"]) {
      const response = await attemptUpgrade(server().base, `/ws?since=${since}&token=${admin.accessToken}`);
      expect(response.status).toBe(400);
    }
  });
});

describe("revocation on the wire", () => {
  test("a removed member's socket closes with 4003 at once", async () => {
    const admin = await registerOrg(api);
    const member = await addMember(api, admin);
    const socket = await open(server().base, member.accessToken);
    const removedAt = Date.now();
    await api.delete(`/api/users/${member.user.id}`, { token: admin.accessToken });
    expect((await socket.closed(1000)).code).toBe(4003);
    expect(Date.now() - removedAt).toBeLessThan(1000);
  });

  test("logging out closes the session's sockets with 4001", async () => {
    const admin = await registerOrg(api);
    const socket = await open(server().base, admin.accessToken);
    await api.post("/api/auth/logout", { token: admin.accessToken, body: { refreshToken: admin.refreshToken } });
    expect((await socket.closed(1000)).code).toBe(4001);
  });

  test("a demoted member stays connected, and keeps receiving events", async () => {
    const admin = await registerOrg(api);
    const other = await addMember(api, admin, "ADMIN");
    const socket = await open(server().base, other.accessToken);
    await api.patch(`/api/users/${other.user.id}/role`, { token: admin.accessToken, body: { role: "MEMBER" } });
    await socket.next((m) => m.type === "USER_ROLE_CHANGED");
    await broadcast(admin, "still here?");
    expect((await socket.next((m) => m.type === "BROADCAST_MESSAGE")).payload.message).toBe("still here?");
  });

  test("a socket closes with 4001 when its token expires, unless AUTH brought a fresh one", async () => {
    const shortLived = await startTestServer({ JWT_ACCESS_EXPIRES_IN: "2s" });
    try {
      const client = createClient(shortLived.base);
      const admin = await registerOrg(client);
      const [lapsing, renewed] = await Promise.all([open(shortLived.base, admin.accessToken), open(shortLived.base, admin.accessToken)]);

      const claims = jwt.decode(admin.accessToken) as Record<string, unknown>;
      const fresh = jwt.sign({ ...claims, exp: Math.floor(Date.now() / 1000) + 60 }, TEST_SECRETS.JWT_ACCESS_SECRET, {
        algorithm: "HS256",
      });
      renewed.send({ type: "AUTH", token: fresh });
      expect((await renewed.next((m) => m.type === "AUTHENTICATED")).payload.expiresAt).toBeString();

      expect((await lapsing.closed(4000)).code).toBe(4001);
      renewed.send({ type: "PING" });
      await renewed.next((m) => m.type === "PONG");
    } finally {
      await shortLived.stop();
    }
  });

  test("AUTH with a token of another user is refused and changes nothing", async () => {
    const admin = await registerOrg(api);
    const other = await registerOrg(api);
    const socket = await open(server().base, admin.accessToken);
    socket.send({ type: "AUTH", token: other.accessToken });
    expect((await socket.next((m) => m.type === "ERROR")).payload.message).toMatch(/another user/);
    // Still the admin's socket: it hears the admin's organisation, never the other one, and
    // logging the admin's session out still closes it.
    await broadcast(other, "for the other organisation");
    await broadcast(admin, "for the admin's organisation");
    expect((await socket.next((m) => m.type === "BROADCAST_MESSAGE")).payload.message).toBe("for the admin's organisation");
    expect(socket.received.some((m) => m.payload?.message === "for the other organisation")).toBe(false);
    await api.post("/api/auth/logout", { token: admin.accessToken, body: { refreshToken: admin.refreshToken } });
    expect((await socket.closed(2000)).code).toBe(4001);
  });
});

describe("the LISTEN connection", () => {
  test.if(!!process.env.DATABASE_URL)(
    "killed with pg_terminate_backend: it reconnects, and events committed meanwhile still arrive",
    async () => {
      const admin = await registerOrg(api);
      const socket = await open(server().base, admin.accessToken);
      const killedPid = server().bus.backendPid;
      expect(killedPid).toBeNumber();

      const killer = new pg.Client({ connectionString: (await testDatabase()).url });
      await killer.connect();
      await killer.query("select pg_terminate_backend($1)", [killedPid]);
      await killer.end();

      await broadcast(admin, "while nobody was listening");
      await broadcast(admin, "after");
      const arrived = await socket.collect("BROADCAST_MESSAGE", 2, 10_000);
      expect(arrived.map((m) => m.payload.message)).toEqual(["while nobody was listening", "after"]);
      expect(server().bus.backendPid).not.toBe(killedPid);
    },
  );
  if (!process.env.DATABASE_URL)
    console.log("skipped: the LISTEN-reconnect test needs a PostgreSQL server (the embedded database has no connection to kill)");
});
