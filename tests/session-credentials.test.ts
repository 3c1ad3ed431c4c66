// Sessions as credentials, attacked: concurrent refreshes across instances, the reuse grace
// window and its trade-off, reuse detection that reaches sockets, and sessions made from
// sessions (switch-organisation), which must die with what they were made from.
import { describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import jwt from "jsonwebtoken";
import { CHANNELS } from "../src/db/notifications.ts";
import { CONFIRM_TIMEOUT_MS } from "../src/db/notify.ts";
import { createLogger } from "../src/lib/logger.ts";
import * as authRoutes from "../src/modules/auth/auth.routes.ts";
import { type Client, createClient, parseSignIn, parseWith, refusalOf } from "./support/client.ts";
import { inDatabase } from "./support/db-state.ts";
import { memberOfTwo, registerOrg } from "./support/fixtures.ts";
import { startTestServer, useTwoTestServers } from "./support/server.ts";
import { connectSocket } from "./support/socket.ts";

const { one, two, viaOne, viaTwo, replaceTwo } = useTwoTestServers();

const refresh = (client: Client, refreshToken: string) => client.post("/api/auth/refresh", { body: { refreshToken } });
const alive = async (client: Client, accessToken: string) => (await client.get("/api/organisations", { token: accessToken })).status;

const sessionOf = (accessToken: string) => (jwt.decode(accessToken) as { sid: string }).sid;

/** Moves a spent refresh token's rotation into the past, beyond REFRESH_REUSE_GRACE_SECONDS (10 s): no sleeping on the clock. */
const rotatedLongAgo = (sessionId: string) =>
  inDatabase((tx) =>
    tx.execute(
      sql`update refresh_tokens set used_at = now() - interval '1 minute' where session_id = ${sessionId} and used_at is not null`,
    ),
  );

async function switchTo(client: Client, accessToken: string, organisationId: string) {
  return parseWith(
    authRoutes.switchOrganisation,
    200,
    await client.post("/api/auth/switch-organisation", { token: accessToken, body: { organisationId } }),
  ).data;
}

describe("refreshing at once from two tabs, on two instances", () => {
  test("8 concurrent refreshes of one token all get the same successor, and it works", async () => {
    const admin = await registerOrg(viaOne);
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => refresh(i % 2 ? viaTwo : viaOne, admin.refreshToken)));
    const pairs = results.map((response) => parseWith(authRoutes.refresh, 200, response).data);
    expect(new Set(pairs.map((pair) => pair.refreshToken)).size).toBe(1);
    expect(new Set(pairs.map((pair) => sessionOf(pair.accessToken)))).toEqual(new Set([sessionOf(admin.accessToken)]));
    for (const pair of pairs) expect(await alive(viaTwo, pair.accessToken)).toBe(200);
    // Nothing was revoked: the shared successor rotates as usual.
    const next = parseWith(authRoutes.refresh, 200, await refresh(viaOne, pairs[0]?.refreshToken as string)).data;
    expect(await alive(viaOne, next.accessToken)).toBe(200);
  });

  test("the trade-off: within the window, whoever presents the rotated token gets the owner's pair", async () => {
    const owner = await registerOrg(viaOne);
    const ownerPair = parseWith(authRoutes.refresh, 200, await refresh(viaOne, owner.refreshToken)).data;
    const thiefPair = parseWith(authRoutes.refresh, 200, await refresh(viaTwo, owner.refreshToken)).data;
    expect(thiefPair.refreshToken).toBe(ownerPair.refreshToken);
    expect(sessionOf(thiefPair.accessToken)).toBe(sessionOf(ownerPair.accessToken));
  });
});

describe("reuse after the window", () => {
  test("revokes the session: its successor and access tokens die, and its sockets close 4001 on every instance", async () => {
    const admin = await registerOrg(viaOne);
    const next = parseWith(authRoutes.refresh, 200, await refresh(viaOne, admin.refreshToken)).data;
    const sockets = await Promise.all([one(), two()].map((server) => connectSocket(server.base, next.accessToken)));
    await Promise.all(sockets.map((socket) => socket.next((m) => m.type === "CONNECTED")));
    await rotatedLongAgo(sessionOf(next.accessToken));

    expect(refusalOf(401, await refresh(viaTwo, admin.refreshToken), "UNAUTHENTICATED").message).toMatch(/already used/);
    expect((await refresh(viaOne, next.refreshToken)).status).toBe(401);
    expect(await alive(viaOne, next.accessToken)).toBe(401);
    expect(await alive(viaTwo, next.accessToken)).toBe(401);
    for (const socket of sockets) expect((await socket.closed()).code).toBe(4001);
  });
});

describe("a session made from another (switch-organisation) is its descendant", () => {
  test("a thief who refreshes a stolen token and switches organisation loses the new session when reuse is detected", async () => {
    const { member: victim, other } = await memberOfTwo(viaOne);
    // The thief holds a copy of the victim's refresh token, and refreshes first.
    const stolen = parseWith(authRoutes.refresh, 200, await refresh(viaTwo, victim.refreshToken)).data;
    const escaped = await switchTo(viaTwo, stolen.accessToken, other.organisation.id);
    expect(await alive(viaTwo, escaped.accessToken)).toBe(200);
    // The victim's client presents the old token later: the alarm goes off.
    await rotatedLongAgo(sessionOf(stolen.accessToken));
    expect((await refresh(viaOne, victim.refreshToken)).status).toBe(401);

    expect(await alive(viaOne, escaped.accessToken)).toBe(401);
    expect(await alive(viaTwo, escaped.accessToken)).toBe(401);
    expect((await refresh(viaTwo, escaped.refreshToken)).status).toBe(401);
  });

  test("logging out locally, or ending the session from the list, ends its descendants too", async () => {
    for (const end of ["logout", "end"] as const) {
      const { member, other } = await memberOfTwo(viaOne);
      const child = await switchTo(viaOne, member.accessToken, other.organisation.id);
      const grandchild = await switchTo(viaTwo, child.accessToken, member.organisation.id);
      const ended =
        end === "logout"
          ? await viaOne.post("/api/auth/logout", { token: member.accessToken, body: { refreshToken: member.refreshToken } })
          : await viaOne.delete(`/api/auth/sessions/${sessionOf(member.accessToken)}`, { token: child.accessToken });
      expect(ended.status, end).toBe(200);
      for (const session of [child, grandchild]) {
        expect(await alive(viaTwo, session.accessToken), end).toBe(401);
        expect((await refresh(viaOne, session.refreshToken)).status, end).toBe(401);
      }
    }
  });

  test("switching checks the session in the database, not the cache: a revoked session cannot switch, even where it is still cached", async () => {
    const { member, other } = await memberOfTwo(viaOne);
    expect(await alive(viaTwo, member.accessToken)).toBe(200); // cached on instance two
    await two().bus.stop(); // instance two hears no more revocations; its cache stays trusted (and stale)
    try {
      expect(
        (await viaOne.post("/api/auth/logout", { token: member.accessToken, body: { refreshToken: member.refreshToken } })).status,
      ).toBe(200);
      expect(await alive(viaTwo, member.accessToken)).toBe(200); // the stale cache, as the test intends
      const minted = await viaTwo.post("/api/auth/switch-organisation", {
        token: member.accessToken,
        body: { organisationId: other.organisation.id },
      });
      refusalOf(401, minted, "UNAUTHENTICATED");
    } finally {
      await replaceTwo();
    }
  });
});

describe("revocation on the other instance", () => {
  const login = async (client: Client, email: string, password: string, organisationId?: string) =>
    parseSignIn(authRoutes.login, 200, await client.post("/api/auth/login", { body: { email, password, organisationId } })).data;

  /** Delivers every notification `ms` late to the instance that takes it, as a slow or loaded instance reads them. */
  const lateBy = (ms: number) => ({
    wrapNotifications: (deliver: (channel: string, payload: string) => void) => (channel: string, payload: string) => {
      setTimeout(() => deliver(channel, payload), ms);
    },
  });

  // Many revocations at once: each waits for its own acknowledgements, never another's.
  test("ten logouts at once through one instance are each refused on the slow other instance right after their own answer", async () => {
    const [first, second] = await Promise.all([startTestServer(), startTestServer({}, undefined, lateBy(100))]);
    const [a, b] = [createClient(first.base), createClient(second.base)];
    try {
      const members = await Promise.all(Array.from({ length: 10 }, () => memberOfTwo(a).then(({ member }) => member)));
      for (const member of members) expect(await alive(b, member.accessToken)).toBe(200);
      const afterAnswers = await Promise.all(
        members.map(async (member) => {
          const out = await a.post("/api/auth/logout", { token: member.accessToken, body: { refreshToken: member.refreshToken } });
          expect(out.status).toBe(200);
          return alive(b, member.accessToken);
        }),
      );
      expect(afterAnswers).toEqual(members.map(() => 401));
    } finally {
      await Promise.all([first.stop(), second.stop()]);
    }
  }, 30_000);

  // The wait has a bound: an instance that hears but never acts (stuck, or an older version)
  // costs a revocation at most the confirmation timeout, and one that stops listening is not
  // waited for at all (it trusts no cache while it does not listen).
  test("an instance that never acknowledges delays a revocation's answer by at most the timeout; one that stopped listening not at all", async () => {
    const deaf = {
      wrapNotifications: (deliver: (channel: string, payload: string) => void) => (channel: string, payload: string) => {
        if (channel !== CHANNELS.authChanges) deliver(channel, payload);
      },
    };
    const lines: string[] = [];
    const [revoker, stuck] = await Promise.all([
      startTestServer(
        {},
        createLogger("warn", (line) => lines.push(line)),
      ),
      startTestServer({}, undefined, deaf),
    ]);
    const viaRevoker = createClient(revoker.base);
    try {
      const { member } = await memberOfTwo(viaRevoker);
      const sent = performance.now();
      expect(
        (await viaRevoker.post("/api/auth/logout", { token: member.accessToken, body: { refreshToken: member.refreshToken } })).status,
      ).toBe(200);
      const waited = performance.now() - sent;
      expect(waited).toBeGreaterThanOrEqual(CONFIRM_TIMEOUT_MS - 50);
      expect(waited).toBeLessThan(CONFIRM_TIMEOUT_MS + 1500);
      expect(await alive(viaTwo, member.accessToken)).toBe(401);
      // The operator hears which instance kept it waiting (its LISTEN connection's backend pid).
      const warning = lines.map((line) => JSON.parse(line)).find((entry) => entry.msg?.startsWith("instances did not acknowledge"));
      expect(warning?.silent).toEqual([stuck.bus.backendPid ?? expect.any(Number)]);

      await stuck.bus.stop();
      const { member: next } = await memberOfTwo(viaRevoker);
      const again = performance.now();
      expect(
        (await viaRevoker.post("/api/auth/logout", { token: next.accessToken, body: { refreshToken: next.refreshToken } })).status,
      ).toBe(200);
      expect(performance.now() - again).toBeLessThan(CONFIRM_TIMEOUT_MS - 500);
    } finally {
      await Promise.all([revoker.stop(), stuck.stop()]);
    }
  }, 30_000);

  // Instance two hears every notification 300 ms after instance one does, as a slow or loaded
  // instance reads them. A revocation that answered once its own instance heard it back would
  // leave instance two serving from its cache for those 300 ms; one that answers once instance
  // two has acknowledged it is refused there on the very next request.
  test("with the other instance slow to hear, logout, ending a session, leaving and deleting the organisation are refused there on the very next request", async () => {
    const [first, second] = await Promise.all([startTestServer(), startTestServer({}, undefined, lateBy(300))]);
    const [a, b] = [createClient(first.base), createClient(second.base)];
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        const { member, other } = await memberOfTwo(a);
        const elsewhere = await login(a, member.email, member.password, other.organisation.id);
        const second = await login(a, member.email, member.password, member.organisation.id);
        const third = await login(a, member.email, member.password, member.organisation.id);
        for (const session of [member, elsewhere, second, third]) expect(await alive(b, session.accessToken)).toBe(200);

        const sent = performance.now();
        expect((await a.post("/api/auth/logout", { token: third.accessToken, body: { refreshToken: third.refreshToken } })).status).toBe(
          200,
        );
        expect(performance.now() - sent).toBeGreaterThanOrEqual(300); // it waited for instance two
        expect(await alive(b, third.accessToken)).toBe(401);

        expect((await a.delete(`/api/auth/sessions/${sessionOf(second.accessToken)}`, { token: member.accessToken })).status).toBe(200);
        expect(await alive(b, second.accessToken)).toBe(401);

        expect((await a.post("/api/organisations/leave", { token: elsewhere.accessToken })).status).toBe(200);
        expect(await alive(b, elsewhere.accessToken)).toBe(401);

        const deleted = await a.delete("/api/organisations", {
          token: member.accessToken,
          body: { confirmName: member.organisation.name },
        });
        expect(deleted.status).toBe(200);
        expect(await alive(b, member.accessToken)).toBe(401);
      }
    } finally {
      await Promise.all([first.stop(), second.stop()]);
    }
  }, 30_000);
});
