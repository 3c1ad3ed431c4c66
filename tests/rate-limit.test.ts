import { afterEach, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { RedisClient } from "bun";
import { addressSubject, clientAddress } from "../src/lib/client-address.ts";
import { createLogger } from "../src/lib/logger.ts";
import { createClient, refusalOf } from "./support/client.ts";
import { invite, registerOrg, uniqueEmail } from "./support/fixtures.ts";
import { redisBinary, startRedis } from "./support/redis.ts";
import { startTestServer, type TestServer } from "./support/server.ts";
import { attemptUpgrade, connectSocket } from "./support/socket.ts";

const running: TestServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.stop()));
});

async function serverWith(env: Record<string, string>) {
  const server = await startTestServer({ RATE_LIMIT_MAX: "100", RATE_LIMIT_AUTH_MAX: "10", ...env });
  running.push(server);
  return createClient(server.base);
}

const login = (api: ReturnType<typeof createClient>, headers: Record<string, string> = {}) =>
  api.post("/api/auth/login", { body: { email: uniqueEmail("limited"), password: "whatever-it-is" }, headers });

const randomAddress = () => `203.0.113.${1 + Math.floor(Math.random() * 250)}`;

describe("the credential budget, per address", () => {
  test("the 11th login in a minute from one address gets 429 with retry-after, in the envelope", async () => {
    const api = await serverWith({});
    for (let i = 0; i < 10; i++) expect((await login(api)).status).toBe(401);
    const limited = await login(api);
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ success: false, data: null, message: expect.stringMatching(/Too many requests/) });
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(limited.headers.get("ratelimit-remaining")).toBe("0");
  });

  test("a token the caller already holds buys no more guesses, and neither does registering for a new one", async () => {
    const api = await serverWith({ RATE_LIMIT_AUTH_MAX: "3" });
    const owned = (await registerOrg(api)).accessToken;
    for (let i = 0; i < 2; i++) expect((await login(api)).status).toBe(401);
    const bearer = { authorization: `Bearer ${owned}` };
    expect((await login(api, bearer)).status).toBe(429);
    const registered = await api.post("/api/auth/register", {
      headers: bearer,
      body: { name: "Eve", email: uniqueEmail("eve"), password: "another-password", organisationName: "Eve Org" },
    });
    expect(registered.status).toBe(429);
    expect((await api.post("/api/auth/refresh", { headers: bearer, body: { refreshToken: "x" } })).status).toBe(429);
    // The budget is for credential checks only: the same token still reads the API.
    expect((await api.get("/api/organisations", { token: owned })).status).toBe(200);
  });

  test("accept-invite shares it: no more password guesses there than at login", async () => {
    const api = await serverWith({ RATE_LIMIT_AUTH_MAX: "3" });
    const attacker = await registerOrg(api);
    const victim = await registerOrg(api);
    const created = await invite(api, attacker, victim.email);
    const guess = () => api.post("/api/users/accept-invite", { body: { token: created.token, password: "guessing-again" } });
    // Registering both organisations spent two of the three.
    expect((await guess()).status).toBe(401);
    expect((await guess()).status).toBe(429);
    expect((await login(api)).status).toBe(429);
  });

  test("a different X-Forwarded-For on every request changes nothing while TRUST_PROXY is off", async () => {
    const api = await serverWith({ TRUST_PROXY: "false" });
    for (let i = 0; i < 10; i++) await login(api, { "x-forwarded-for": randomAddress() });
    expect((await login(api, { "x-forwarded-for": randomAddress() })).status).toBe(429);
  });

  test("with TRUST_PROXY on, distinct forwarded clients get distinct budgets", async () => {
    const api = await serverWith({ TRUST_PROXY: "true" });
    for (let i = 0; i < 10; i++) await login(api, { "x-forwarded-for": "198.51.100.1" });
    expect((await login(api, { "x-forwarded-for": "198.51.100.1" })).status).toBe(429);
    expect((await login(api, { "x-forwarded-for": "198.51.100.2" })).status).toBe(401);
  });

  test("with TRUST_PROXY on, addresses the client writes left of the proxy's hop are ignored", async () => {
    const api = await serverWith({ TRUST_PROXY: "true" });
    for (let i = 0; i < 10; i++) await login(api, { "x-forwarded-for": `${randomAddress()}, 198.51.100.7` });
    expect((await login(api, { "x-forwarded-for": `${randomAddress()}, 198.51.100.7` })).status).toBe(429);
  });

  test("every address of one IPv6 /64 shares a budget, and an IPv4 client is one client however it is spelt", async () => {
    const api = await serverWith({ TRUST_PROXY: "true", RATE_LIMIT_AUTH_MAX: "4" });
    for (const hop of ["2001:db8:1:2::1", "2001:db8:1:2:ffff::9", "2001:0db8:0001:0002:0:0:0:77"]) {
      expect((await login(api, { "x-forwarded-for": hop })).status).toBe(401);
    }
    expect((await login(api, { "x-forwarded-for": "2001:db8:1:2:abcd::1" })).status).toBe(401);
    expect((await login(api, { "x-forwarded-for": "2001:db8:1:2::5" })).status).toBe(429);
    expect((await login(api, { "x-forwarded-for": "2001:db8:1:3::1" })).status).toBe(401);

    for (const hop of ["198.51.100.20", "::ffff:198.51.100.20", "::ffff:c633:6414", "0:0:0:0:0:ffff:198.51.100.20"]) {
      expect((await login(api, { "x-forwarded-for": hop })).status).toBe(401);
    }
    expect((await login(api, { "x-forwarded-for": "::ffff:198.51.100.20" })).status).toBe(429);
  });
});

describe("the credential budget, per account", () => {
  const spreadOut = (api: ReturnType<typeof createClient>, email: string, password: string) =>
    api.post("/api/auth/login", { body: { email, password }, headers: { "x-forwarded-for": randomAddress() } });

  test("failed logins for one email from many addresses are throttled, with a 429 that says when to retry", async () => {
    const api = await serverWith({ TRUST_PROXY: "true", RATE_LIMIT_AUTH_MAX: "1000", RATE_LIMIT_ACCOUNT_MAX: "5" });
    const victim = await registerOrg(api);
    for (let i = 0; i < 5; i++) expect((await spreadOut(api, victim.email, `guess-number-${i}`)).status).toBe(401);
    const limited = await spreadOut(api, victim.email, victim.password);
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ success: false, data: null, message: expect.stringMatching(/failed attempts/) });
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    // Another account is untouched.
    const other = await registerOrg(api);
    expect((await spreadOut(api, other.email, other.password)).status).toBe(200);
  });

  test("an email with no account is throttled exactly like one with an account", async () => {
    const api = await serverWith({ TRUST_PROXY: "true", RATE_LIMIT_AUTH_MAX: "1000", RATE_LIMIT_ACCOUNT_MAX: "3" });
    const nobody = uniqueEmail("nobody");
    for (let i = 0; i < 3; i++) expect((await spreadOut(api, nobody, "some-guess-here")).status).toBe(401);
    expect((await spreadOut(api, nobody, "some-guess-here")).status).toBe(429);
  });

  test("concurrent guesses cannot slip past the count: exactly the budget is checked", async () => {
    const api = await serverWith({ TRUST_PROXY: "true", RATE_LIMIT_AUTH_MAX: "1000", RATE_LIMIT_ACCOUNT_MAX: "5" });
    const victim = await registerOrg(api);
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => spreadOut(api, victim.email, `parallel-guess-${i}`)));
    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses.filter((status) => status === 401)).toHaveLength(5);
    expect(statuses.filter((status) => status === 429)).toHaveLength(15);
  });

  test("the owner signing in successfully spends nothing", async () => {
    const api = await serverWith({ RATE_LIMIT_AUTH_MAX: "1000", RATE_LIMIT_ACCOUNT_MAX: "2" });
    const owner = await registerOrg(api);
    for (let i = 0; i < 6; i++)
      expect((await api.post("/api/auth/login", { body: { email: owner.email, password: owner.password } })).status).toBe(200);
  });

  test("guesses through accept-invite spend the invited account's budget, and login then refuses too", async () => {
    const api = await serverWith({ RATE_LIMIT_AUTH_MAX: "1000", RATE_LIMIT_ACCOUNT_MAX: "3" });
    const attacker = await registerOrg(api);
    const victim = await registerOrg(api);
    const created = await invite(api, attacker, victim.email);
    for (let i = 0; i < 3; i++) {
      const wrong = await api.post("/api/users/accept-invite", { body: { token: created.token, password: `guess-number-${i}` } });
      expect(wrong.status).toBe(401);
    }
    const right = await api.post("/api/users/accept-invite", { body: { token: created.token, password: victim.password } });
    expect(right.status).toBe(429);
    expect((await api.post("/api/auth/login", { body: { email: victim.email, password: victim.password } })).status).toBe(429);
  });
});

describe("the general budget", () => {
  test("every response carries the ratelimit headers", async () => {
    const api = await serverWith({});
    const admin = await registerOrg(api);
    for (const response of [
      await api.get("/api/organisations", { token: admin.accessToken }),
      await api.get("/api/organisations"),
      await api.get("/no-such-route"),
      await api.patch("/api/organisations/subscription", { token: admin.accessToken, body: { plan: "NOPE" } }),
    ]) {
      expect(response.headers.get("ratelimit-limit")).toBe("100");
      expect(Number(response.headers.get("ratelimit-remaining"))).toBeGreaterThanOrEqual(0);
      expect(Number(response.headers.get("ratelimit-reset"))).toBeGreaterThan(0);
    }
  });

  test("a signed-in client is its user: other users at the same address keep their own budget", async () => {
    const api = await serverWith({ RATE_LIMIT_MAX: "5", RATE_LIMIT_AUTH_MAX: "100" });
    const [first, second] = [await registerOrg(api), await registerOrg(api)];
    for (let i = 0; i < 5; i++) expect((await api.get("/api/organisations", { token: first.accessToken })).status).toBe(200);
    expect((await api.get("/api/organisations", { token: first.accessToken })).status).toBe(429);
    expect((await api.get("/api/organisations", { token: second.accessToken })).status).toBe(200);
  });

  test("a socket's token makes its user the client, whichever way the token is presented", async () => {
    const api = await serverWith({ RATE_LIMIT_MAX: "3", RATE_LIMIT_AUTH_MAX: "100" });
    const [first, second] = [await registerOrg(api), await registerOrg(api)];
    const base = running.at(-1)!.base;
    for (const auth of ["query", "protocol", "query"] as const) (await connectSocket(base, first.accessToken, { auth })).close();
    expect((await attemptUpgrade(base, "/ws", { "sec-websocket-protocol": `bearer, ${first.accessToken}` })).status).toBe(429);
    const other = await connectSocket(base, second.accessToken);
    await other.next((m) => m.type === "CONNECTED");
    other.close();
  });

  test("probes are never throttled", async () => {
    const api = await serverWith({ RATE_LIMIT_MAX: "2" });
    for (let i = 0; i < 5; i++) expect((await api.get("/health")).status).toBe(200);
  });
});

// Redis is a deployment option, not a requirement: on a machine without it these skip, saying why.
const REDIS_URL = process.env.REDIS_TEST_URL ?? "redis://127.0.0.1:6379";
const redisReachable = await new RedisClient(REDIS_URL, { autoReconnect: false, connectionTimeout: 1000 })
  .send("PING", [])
  .then(() => true)
  .catch(() => false);
if (!redisReachable) console.log(`skipped: the shared-counter test needs Redis at ${REDIS_URL} (set REDIS_TEST_URL to use another)`);

describe("shared counters in Redis", () => {
  const redis = { REDIS_URL };

  test.if(redisReachable)("two instances share one budget", async () => {
    const prefix = `test-${randomBytes(4).toString("hex")}`;
    const one = await serverWith({ ...redis, RATE_LIMIT_PREFIX: prefix });
    const two = await serverWith({ ...redis, RATE_LIMIT_PREFIX: prefix });
    for (let i = 0; i < 5; i++) expect((await login(one)).status).toBe(401);
    for (let i = 0; i < 5; i++) expect((await login(two)).status).toBe(401);
    const eleventh = await login(one);
    expect(eleventh.status).toBe(429);
    expect((await login(two)).status).toBe(429);
  });

  test("with Redis unreachable from the start, requests are answered and budgets still hold, per instance", async () => {
    const api = await serverWith({
      REDIS_URL: "redis://127.0.0.1:1",
      RATE_LIMIT_AUTH_MAX: "3",
      RATE_LIMIT_PREFIX: `down-${randomBytes(4).toString("hex")}`,
    });
    expect((await api.get("/api/organisations")).status).toBe(401);
    for (let i = 0; i < 3; i++) expect((await login(api)).status).toBe(401);
    expect((await login(api)).status).toBe(429);
  });

  test.if(redisBinary)(
    "Redis going away mid-run: the credential budget falls back to this instance's memory, logged once, and comes back",
    async () => {
      const redis = await startRedis();
      const lines: string[] = [];
      const server = await startTestServer(
        {
          REDIS_URL: redis.url,
          RATE_LIMIT_MAX: "1000",
          RATE_LIMIT_AUTH_MAX: "10",
          METRICS_TOKEN: "a-metrics-token-for-the-test",
          LOG_LEVEL: "info",
        },
        createLogger("info", (line) => lines.push(line)),
      );
      running.push(server);
      const api = createClient(server.base);
      const storeUp = async () =>
        Number(
          /^rate_limit_store_up (\d)/m.exec((await api.get("/metrics", { token: "a-metrics-token-for-the-test" })).body as string)?.[1],
        );
      try {
        expect(await storeUp()).toBe(1);
        for (let i = 0; i < 4; i++) expect((await login(api)).status).toBe(401); // counted in Redis
        await redis.stop();
        // 14 wrong logins from one address with Redis gone: the budget of 10 still holds, counted here.
        const statuses = [];
        for (let i = 0; i < 14; i++) statuses.push((await login(api)).status);
        expect(statuses.filter((status) => status === 401)).toHaveLength(10);
        expect(statuses.slice(10)).toEqual([429, 429, 429, 429]);
        expect(await storeUp()).toBe(0);
        const lost = lines.filter((line) => line.includes("Redis unreachable"));
        expect(lost).toHaveLength(1); // one line for the outage, not one per request
        await redis.start();
        for (let waited = 0; (await storeUp()) !== 1 && waited < 20_000; waited += 100) await Bun.sleep(100);
        expect(await storeUp()).toBe(1);
        expect(lines.filter((line) => line.includes("Redis is back"))).toHaveLength(1);
      } finally {
        await redis.stop();
      }
    },
  );
});

describe("what a 429 says", () => {
  test("in development it names the setting that raises the limit; elsewhere it does not", async () => {
    for (const [mode, hinted] of [
      ["development", true],
      ["production", false],
      ["test", false],
    ] as const) {
      const api = await serverWith({
        NODE_ENV: mode,
        RATE_LIMIT_AUTH_MAX: "1",
        RATE_LIMIT_ACCOUNT_MAX: "1",
        SMTP_URL: "smtp://127.0.0.1:1",
      });
      await login(api);
      const perAddress = refusalOf(429, await login(api), "RATE_LIMITED").message;
      expect(perAddress.includes("RATE_LIMIT_AUTH_MAX"), mode).toBe(hinted);
    }
    const api = await serverWith({ NODE_ENV: "development", RATE_LIMIT_AUTH_MAX: "100", RATE_LIMIT_ACCOUNT_MAX: "1" });
    const email = uniqueEmail("hinted");
    await api.post("/api/auth/login", { body: { email, password: "wrong-one-1" } });
    const perAccount = refusalOf(429, await api.post("/api/auth/login", { body: { email, password: "wrong-one-2" } }), "RATE_LIMITED");
    expect(perAccount.message).toContain("RATE_LIMIT_ACCOUNT_MAX");
  });
});

describe("invitation mail budgets", () => {
  test("an address gets a few invitation emails an hour, whoever sends them: then 429, and nothing is created", async () => {
    const api = await serverWith({ INVITE_EMAILS_PER_HOUR: "3" });
    const target = uniqueEmail("flooded");
    // The repro: invite and revoke in a loop, from several organisations.
    const statuses: number[] = [];
    for (let round = 0; round < 5; round++) {
      const admin = await registerOrg(api);
      const sent = await api.post("/api/users/invite", { token: admin.accessToken, body: { email: target, role: "MEMBER" } });
      statuses.push(sent.status);
      if (sent.status === 201) {
        const id = (sent.body as { data: { id: string } }).data.id;
        await api.delete(`/api/users/invites/${id}`, { token: admin.accessToken });
      } else {
        refusalOf(429, sent, "RATE_LIMITED");
        expect(Number(sent.headers.get("retry-after"))).toBeGreaterThan(0);
        const pending = await api.get("/api/users/invites", { token: admin.accessToken });
        expect((pending.body as { data: unknown[] }).data).toEqual([]);
      }
    }
    expect(statuses).toEqual([201, 201, 201, 429, 429]);
  });

  test("an organisation sends a bounded number of invitations a day", async () => {
    const api = await serverWith({ INVITES_PER_DAY: "2" });
    const admin = await registerOrg(api);
    await api.patch("/api/organisations/subscription", { token: admin.accessToken, body: { plan: "ENTERPRISE" } });
    const statuses = [];
    for (let i = 0; i < 3; i++)
      statuses.push(
        (await api.post("/api/users/invite", { token: admin.accessToken, body: { email: uniqueEmail("daily"), role: "MEMBER" } })).status,
      );
    expect(statuses).toEqual([201, 201, 429]);
  });
});

describe("clientAddress", () => {
  test.each([
    ["no proxy trusted: the peer, whatever the header says", "10.0.0.5", "1.2.3.4", false, "10.0.0.5"],
    ["trusted proxy: the right-most public hop", "10.0.0.5", "6.6.6.6, 198.51.100.9", true, "198.51.100.9"],
    ["trusted proxies chained: skip our own hops", "10.0.0.5", "6.6.6.6, 198.51.100.9, 10.1.2.3, 172.16.0.1", true, "198.51.100.9"],
    ["garbage entries are not hops", "10.0.0.5", "<script>, 198.51.100.9, not-an-ip", true, "198.51.100.9"],
    ["all hops internal: the farthest", "127.0.0.1", "10.9.9.9, 10.0.0.1", true, "10.9.9.9"],
    ["no header: the peer", "127.0.0.1", undefined, true, "127.0.0.1"],
    ["IPv6 hops", "::1", "2001:db8::1, fd00::2", true, "2001:db8::1"],
    ["an IPv4-mapped peer is its IPv4 address", "::ffff:203.0.113.9", undefined, false, "203.0.113.9"],
    ["an IPv6 hop in another spelling is canonical", "::1", "2001:0DB8:0:0:0:0:0:0001", true, "2001:db8::1"],
  ] as const)("%s", (_, peer, header, trust, expected) => {
    expect(clientAddress(peer, header, trust)).toBe(expected);
  });
});

describe("addressSubject", () => {
  test.each([
    ["IPv4 stays itself", "203.0.113.9", "203.0.113.9"],
    ["IPv6 is its /64", "2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"],
    ["a compressed IPv6 is the same /64", "2001:db8:1:2::9", "2001:db8:1:2::/64"],
    ["IPv4-mapped, dotted", "::ffff:203.0.113.9", "203.0.113.9"],
    ["IPv4-mapped, in hex", "::ffff:cb00:7109", "203.0.113.9"],
    ["IPv4-mapped, uncompressed", "0:0:0:0:0:ffff:203.0.113.9", "203.0.113.9"],
    ["loopback", "::1", "0:0:0:0::/64"],
  ] as const)("%s", (_, address, expected) => {
    expect(addressSubject(address)).toBe(expected);
  });
});
if (!redisBinary) console.log("skipped: the Redis-outage test needs redis-server on the PATH (Debian: apt-get install redis-server)");
