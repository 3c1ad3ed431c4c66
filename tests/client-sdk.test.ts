// The client SDK (packages/client) against the real server: its generated types are current, it
// builds and runs on Node 20, REST is typed, one refresh serves many requests, and a realtime
// connection delivers every event exactly once and in order — across an instance going away, a
// lost or repeated message, a silent connection, token expiry and terminal closes. The browser
// half (the bundle in Chromium, the network cut) is in tests/client-browser.test.ts.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { Parser } from "@asyncapi/parser";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import jwt from "jsonwebtoken";
import { type ActivityMessage, type Client, type ConnectionState, createClient } from "../packages/client/src/index.ts";
import { CLIENT_TYPES_FILE, clientTypesOf } from "../scripts/client-types.ts";
import { ACTIVITY_TYPES } from "../src/lib/vocabulary.ts";
import { createClient as createTestClient } from "./support/client.ts";
import { addMember, PASSWORD, registerOrg, type Session, seedActivities } from "./support/fixtures.ts";
import { startRelay } from "./support/relay.ts";
import { fetchSpec } from "./support/routes.ts";
import { startTestServer, TEST_SECRETS, type TestServer } from "./support/server.ts";
import { connectSocket } from "./support/socket.ts";

let one: TestServer;
let two: TestServer;
const clients: Client[] = [];

type Options = Partial<Parameters<typeof createClient>[0]>;

/** A client of `base` that records the refresh requests it sends: when, and with which refresh token. */
function sdk(base: string, options: Options = {}) {
  const refreshes: { at: number; refreshToken: string }[] = [];
  const client = createClient({
    baseUrl: base,
    fetch: (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
      const request = input instanceof Request ? new Request(input, init) : new Request(String(input), init);
      if (new URL(request.url).pathname === "/api/auth/refresh") {
        const { refreshToken } = (await request.clone().json()) as { refreshToken: string };
        refreshes.push({ at: Date.now(), refreshToken });
      }
      return fetch(request);
    }) as typeof fetch,
    backoff: { initialMs: 50, maxMs: 500, stableMs: 1000 },
    ...options,
  });
  clients.push(client);
  return { client, refreshes };
}

async function signedIn(base: string, session: Session, options: Options = {}) {
  const made = sdk(base, options);
  const { data, error } = await made.client.auth.login({ email: session.email, password: PASSWORD });
  if (error || !data || "mfaRequired" in data.data) throw new Error(`login failed: ${JSON.stringify(error)}`);
  return made;
}

/** Records a connection's deliveries, states and close. */
function watch(connection: ReturnType<Client["realtime"]["connect"]>) {
  const delivered: ActivityMessage[] = [];
  const states: ConnectionState[] = [];
  const truncations: { since: string; oldestReplayedId: string | null }[] = [];
  let closed: { code: number; reason: string } | undefined;
  connection.on("message", (message) => delivered.push(message));
  connection.on("state", (state) => states.push(state));
  connection.on("replayTruncated", (detail) => truncations.push(detail));
  connection.on("closed", (detail) => {
    closed = detail;
  });
  const until = async (what: string, done: () => boolean, timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}; states ${states.join(",")}, delivered ${delivered.length}`);
      await Bun.sleep(20);
    }
  };
  return { delivered, states, truncations, closed: () => closed, until };
}

const broadcast = (base: string, admin: Session, text: string) =>
  createTestClient(base).post("/api/organisations/broadcast", { token: admin.accessToken, body: { message: text } });

/** The delivered ids, as numbers. */
const idsOf = (delivered: ActivityMessage[]) => delivered.map((message) => Number(message.id));

/** `count` ids, consecutive from the first, none repeated. */
function expectConsecutive(delivered: ActivityMessage[], count: number) {
  const ids = idsOf(delivered);
  expect(ids.length).toBe(count);
  const first = ids[0] ?? 0;
  expect(ids).toEqual(Array.from({ length: count }, (_, index) => first + index));
}

/**
 * A WebSocket whose incoming messages pass through `filter` first: it may drop one (lost on the
 * way) or hand it on twice (repeated), as a faulty proxy or a buggy relay between could.
 */
function faultyWebSocket(filter: (data: string, deliver: () => void) => void) {
  return class extends WebSocket {
    override set onmessage(handler: ((event: MessageEvent) => void) | null) {
      super.onmessage = handler && ((event: MessageEvent) => filter(String(event.data), () => handler(event)));
    }
    override get onmessage() {
      return super.onmessage;
    }
  };
}

/** A WebSocket that records when each one is opened: `opened.length` is how many the client made. */
function countingWebSocket() {
  const opened: number[] = [];
  const Counting = class extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      opened.push(Date.now());
    }
  };
  return { WebSocket: Counting as never, opened };
}

beforeAll(async () => {
  one = await startTestServer();
  two = await startTestServer();
});
afterAll(async () => {
  for (const client of clients) client.dispose();
  await Promise.all([one?.stop(), two?.stop()]);
});

describe("the package", () => {
  test("its generated types are what openapi-typescript makes of the API's document now", async () => {
    const document = await fetchSpec(createTestClient(one.base));
    const current = await clientTypesOf(document as unknown as Record<string, unknown>);
    const committed = readFileSync(CLIENT_TYPES_FILE, "utf8");
    if (current !== committed) throw new Error("packages/client/src/generated/api-types.ts is stale: run `bun run client:types`");
  }, 30_000);

  test("builds to ESM with declarations, and the built file works", async () => {
    const build = Bun.spawnSync(["bun", "run", "build"], { cwd: `${import.meta.dir}/../packages/client` });
    expect(build.exitCode, build.stderr.toString()).toBe(0);
    const dist = `${import.meta.dir}/../packages/client/dist`;
    for (const file of ["index.js", "index.d.ts", "realtime.d.ts", "generated/api-types.d.ts"])
      expect(existsSync(`${dist}/${file}`), file).toBe(true);
    const built = (await import(`${dist}/index.js`)) as typeof import("../packages/client/src/index.ts");
    const admin = await registerOrg(createTestClient(one.base));
    const client = built.createClient({ baseUrl: one.base });
    clients.push(client);
    const login = await client.auth.login({ email: admin.email, password: PASSWORD });
    expect(login.response.status).toBe(200);
    const organisation = await client.api.GET("/api/organisations");
    expect(organisation.data?.data.id).toBe(admin.organisation.id);
  }, 60_000);

  const node = Bun.which("node");
  if (!node) console.log("skipped: the Node.js check needs `node` on the PATH");
  test.skipIf(!node)(
    "runs on Node 20+ with the `ws` package's WebSocket: signs in, calls, and receives an event",
    async () => {
      const version = Bun.spawnSync([node as string, "--version"])
        .stdout.toString()
        .trim();
      expect(Number(/^v(\d+)/.exec(version)?.[1])).toBeGreaterThanOrEqual(20);
      const dist = `${import.meta.dir}/../packages/client/dist/index.js`;
      if (!existsSync(dist)) Bun.spawnSync(["bun", "run", "build"], { cwd: `${import.meta.dir}/../packages/client` });
      const admin = await registerOrg(createTestClient(one.base));
      const run = Bun.spawn([node as string, `${import.meta.dir}/support/node-client.mjs`, dist, one.base, admin.email, PASSWORD], {
        stdout: "pipe",
        stderr: "pipe",
      });
      const [out, err, code] = await Promise.all([new Response(run.stdout).text(), new Response(run.stderr).text(), run.exited]);
      expect(code, err).toBe(0);
      const result = JSON.parse(out) as {
        organisationId: string;
        states: string[];
        message: { type: string; payload: { message: string } };
      };
      expect(result.organisationId).toBe(admin.organisation.id);
      expect(result.states).toEqual(["open"]);
      expect(result.message.type).toBe("BROADCAST_MESSAGE");
      expect(result.message.payload.message).toBe("hello from Node");
    },
    60_000,
  );

  test("the README's Client example runs as written (only the origin and the email changed)", async () => {
    const readme = readFileSync(`${import.meta.dir}/../README.md`, "utf8");
    const example = /## Client\n[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    if (!example) throw new Error("the README has no ts example under ## Client");
    const admin = await registerOrg(createTestClient(one.base), { name: "Ada Lovelace" });
    const file = `${import.meta.dir}/artifacts/readme-client-example.ts`;
    mkdirSync(`${import.meta.dir}/artifacts`, { recursive: true });
    writeFileSync(file, example.replace("http://localhost:3000", one.base).replace("ada@example.com", admin.email));
    // Typed with no cast, as a strict consumer's compiler sees it (the package's "bun" condition: its sources).
    const tsc = Bun.spawnSync([
      `${import.meta.dir}/../node_modules/.bin/tsc`,
      ...["--ignoreConfig", "--noEmit", "--strict", "--module", "preserve", "--moduleResolution", "bundler", "--target", "es2022"],
      ...["--lib", "es2022,dom", "--skipLibCheck", "--customConditions", "bun", "--allowImportingTsExtensions", "--types", ""],
      file,
    ]);
    expect(tsc.exitCode, tsc.stdout.toString()).toBe(0);
    const run = Bun.spawn(["bun", file], { stdout: "pipe", stderr: "pipe" });
    let out = "";
    const reading = (async () => {
      for await (const chunk of run.stdout) out += new TextDecoder().decode(chunk);
    })();
    try {
      const deadline = Date.now() + 15_000;
      while (!out.includes("says") && Date.now() < deadline) {
        if (out.includes("members")) await broadcast(one.base, admin, "hello from the README");
        await Bun.sleep(200);
      }
      expect(out).toContain(`${admin.organisation.name}: 1 members`);
      expect(out).toContain("Ada Lovelace says hello from the README");
    } finally {
      run.kill();
      await run.exited;
      await reading.catch(() => {});
    }
  }, 30_000);
});

describe("the realtime contract at /docs/asyncapi.json", () => {
  test("is an AsyncAPI 3 document the AsyncAPI parser accepts, with every message the server sends and receives", async () => {
    const document = (await (await fetch(`${one.base}/docs/asyncapi.json`)).json()) as {
      asyncapi: string;
      components: { messages: Record<string, unknown> };
    };
    expect(document.asyncapi).toStartWith("3.");
    const { document: parsed, diagnostics } = await new Parser().parse(JSON.stringify(document));
    const problems = diagnostics.filter((diagnostic) => diagnostic.severity <= 1); // errors and warnings
    expect(problems.map((problem) => `${problem.path.join(".")}: ${problem.message}`)).toEqual([]);
    expect(parsed?.version()).toBe(document.asyncapi);
    for (const type of [...ACTIVITY_TYPES, "CONNECTED", "PONG", "AUTHENTICATED", "ERROR", "REPLAY_TRUNCATED", "PING", "AUTH"])
      expect(Object.keys(document.components.messages)).toContain(type);
  });

  test("what a real socket receives validates against the document's schemas, and a message it does not describe does not", async () => {
    const document = (await (await fetch(`${one.base}/docs/asyncapi.json`)).json()) as {
      components: { schemas: Record<string, object> };
    };
    const ajv = new Ajv2020({ strict: false });
    addFormats(ajv);
    const validatorOf = (type: string) => {
      const schema = document.components.schemas[type];
      if (!schema) throw new Error(`no schema for ${type}`);
      return ajv.compile(schema);
    };
    const admin = await registerOrg(createTestClient(one.base));
    const member = await addMember(createTestClient(one.base), admin);
    const socket = await connectSocket(one.base, admin.accessToken);
    socket.send({ type: "PING" });
    await socket.next((message) => message.type === "PONG");
    await createTestClient(one.base).patch(`/api/users/${member.user.id}/role`, { token: admin.accessToken, body: { role: "ADMIN" } });
    await broadcast(one.base, admin, "validated");
    await socket.next((message) => message.type === "BROADCAST_MESSAGE");
    const received = socket.received;
    expect(received.map((message) => message.type)).toEqual(
      expect.arrayContaining(["CONNECTED", "PONG", "USER_ROLE_CHANGED", "BROADCAST_MESSAGE"]),
    );
    for (const message of received) {
      const validate = validatorOf(message.type);
      expect({ type: message.type, valid: validate(message), errors: validate.errors ?? null }).toEqual({
        type: message.type,
        valid: true,
        errors: null,
      });
    }
    // The schemas say something: a broadcast without its sender is not one.
    expect(validatorOf("BROADCAST_MESSAGE")({ type: "BROADCAST_MESSAGE", id: "1", at: new Date().toISOString(), payload: {} })).toBe(false);
    socket.close();
  });
});

describe("REST", () => {
  test("calls and answers are typed, the error envelope and its code included", async () => {
    const admin = await registerOrg(createTestClient(one.base));
    const { client } = await signedIn(one.base, admin);
    const { data } = await client.api.GET("/api/organisations");
    expect(data?.data.subscriptionPlan).toBe("FREE");
    const refused = await client.api.PATCH("/api/organisations/subscription", { body: { plan: "FREE" } });
    expect(refused.error?.code).toBe("CONFLICT");
    expect(refused.response.status).toBe(409);
  });

  test("twenty concurrent calls on a refused token: one refresh reaches the server, and all twenty succeed", async () => {
    const admin = await registerOrg(createTestClient(one.base));
    const { client, refreshes } = await signedIn(one.base, admin);
    const good = client.auth.tokens();
    if (!good) throw new Error("signed in without tokens");
    // Unexpired by its claims, refused by the server (another key signed it): every call meets a 401.
    const refused = jwt.sign({ ...(jwt.decode(good.accessToken) as object) }, "a-secret-that-is-not-the-servers-0123456789");
    client.auth.useTokens({ accessToken: refused, refreshToken: good.refreshToken });
    const answers = await Promise.all(Array.from({ length: 20 }, () => client.api.GET("/api/organisations")));
    expect(answers.map((answer) => answer.response.status)).toEqual(Array(20).fill(200));
    expect(refreshes).toHaveLength(1);
    // The rotation was never tripped: the session is alive and refreshes again.
    expect(await client.auth.refresh()).toBeString();
    expect((await client.api.GET("/api/organisations")).response.status).toBe(200);
  });

  test("an expired access token is refreshed before the call, once for many", async () => {
    const admin = await registerOrg(createTestClient(one.base));
    const { client, refreshes } = await signedIn(one.base, admin);
    const good = client.auth.tokens();
    if (!good) throw new Error("signed in without tokens");
    const claims = jwt.decode(good.accessToken) as Record<string, unknown>;
    const expired = jwt.sign({ ...claims, exp: Math.floor(Date.now() / 1000) - 5 }, TEST_SECRETS.JWT_ACCESS_SECRET);
    client.auth.useTokens({ accessToken: expired, refreshToken: good.refreshToken });
    const answers = await Promise.all(Array.from({ length: 20 }, () => client.api.GET("/api/organisations")));
    expect(answers.every((answer) => answer.response.status === 200)).toBe(true);
    expect(refreshes).toHaveLength(1);
  });

  test("a refresh refused with 401 ends the session: signedOut once, and no retry loop", async () => {
    const admin = await registerOrg(createTestClient(one.base));
    const { client, refreshes } = await signedIn(one.base, admin);
    const signedOut: string[] = [];
    client.on("signedOut", (reason) => signedOut.push(reason));
    await createTestClient(one.base).post("/api/auth/logout", {
      token: admin.accessToken,
      body: { refreshToken: admin.refreshToken, scope: "global" },
    });
    const answers = await Promise.all(Array.from({ length: 5 }, () => client.api.GET("/api/organisations")));
    expect(answers.map((answer) => answer.response.status)).toEqual(Array(5).fill(401));
    expect(refreshes).toHaveLength(1);
    expect(signedOut).toHaveLength(1);
    expect(client.auth.tokens()).toBeNull();
    await Bun.sleep(300);
    expect(refreshes).toHaveLength(1);
  });
});

describe("realtime", () => {
  test("no loss, no duplicate: the instance behind the client's port goes away mid-stream while events keep committing", async () => {
    const admin = await registerOrg(createTestClient(one.base));
    const member = await addMember(createTestClient(one.base), admin);
    const relay = await startRelay(new URL(one.base));
    const { client } = await signedIn(`http://127.0.0.1:${relay.port}`, member);
    const connection = client.realtime.connect();
    const seen = watch(connection);
    await seen.until("open", () => connection.state === "open");

    // Another client commits events throughout, through whichever instance is up.
    const total = 90;
    let publishVia = two.base;
    const statuses: number[] = [];
    const publishing = (async () => {
      for (let i = 0; i < total; i++) {
        statuses.push((await broadcast(publishVia, admin, `event ${i}`)).status);
        await Bun.sleep(15);
      }
    })();
    await seen.until("a third of the events", () => seen.delivered.length >= 30);
    // The port moves to the other instance, then every connection through it is cut, as when the
    // first instance's host dies: the client resumes on the second, from the last id it delivered.
    relay.retarget(new URL(two.base));
    relay.cutAll();
    await seen.until("two thirds", () => seen.delivered.length >= 60);
    // Then the instance the client is on now restarts (1001 from the server) while the publisher
    // carries on through the first.
    publishVia = one.base;
    relay.retarget(new URL(one.base));
    await two.stop();
    two = await startTestServer();
    await publishing;
    expect(statuses).toEqual(Array(total).fill(201));
    await seen.until("every event", () => seen.delivered.length >= total, 20_000);
    await Bun.sleep(200);
    expectConsecutive(seen.delivered, total);
    expect(seen.delivered.map((message) => message.type === "BROADCAST_MESSAGE" && message.payload.message)).toEqual(
      Array.from({ length: total }, (_, i) => `event ${i}`),
    );
    expect(seen.states.filter((state) => state === "reconnecting").length).toBeGreaterThanOrEqual(2);
    connection.close();
    await relay.stop();
  }, 60_000);

  test("token expiry mid-stream (JWT_ACCESS_EXPIRES_IN=5s, 30 s of events): never a 4001, one refresh per token", async () => {
    const short = await startTestServer({ JWT_ACCESS_EXPIRES_IN: "5s" });
    try {
      const admin = await registerOrg(createTestClient(short.base));
      const member = await addMember(createTestClient(short.base), admin);
      const closes: number[] = [];
      const Recording = class extends WebSocket {
        override set onclose(handler: ((event: CloseEvent) => void) | null) {
          super.onclose =
            handler &&
            ((event: CloseEvent) => {
              closes.push(event.code);
              handler(event);
            });
        }
        override get onclose() {
          return super.onclose;
        }
      };
      const { client, refreshes } = await signedIn(short.base, member, { WebSocket: Recording as never });
      const connection = client.realtime.connect();
      const seen = watch(connection);
      await seen.until("open", () => connection.state === "open");
      const started = Date.now();
      let count = 0;
      while (Date.now() - started < 30_000) {
        const publisher = (await createTestClient(short.base).post("/api/auth/login", { body: { email: admin.email, password: PASSWORD } }))
          .body as { data: { accessToken: string } };
        for (let i = 0; i < 8; i++) {
          await createTestClient(short.base).post("/api/organisations/broadcast", {
            token: publisher.data.accessToken,
            body: { message: `tick ${count++}` },
          });
          await Bun.sleep(500);
        }
      }
      await seen.until("every tick", () => seen.delivered.length >= count);
      const elapsed = Date.now() - started;
      expectConsecutive(seen.delivered, count);
      expect(closes).toEqual([]); // the one socket lived throughout: no 4001, no close at all
      expect(seen.states).not.toContain("reconnecting");
      expect(seen.closed()).toBeUndefined();
      // One refresh per token: each presents a refresh token never presented before (the client
      // never trips reuse detection), and none comes while the token it replaces has more than
      // half its life left. (Tokens carry whole seconds and are renewed before they expire, so
      // a token lasts 4–5 s and is replaced after three quarters of that: ~8 in 30 s.)
      expect(new Set(refreshes.map((refresh) => refresh.refreshToken)).size).toBe(refreshes.length);
      const gaps = refreshes.slice(1).map((refresh, index) => refresh.at - (refreshes[index] as { at: number }).at);
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(2_000);
      expect(refreshes.length).toBeGreaterThanOrEqual(Math.floor(elapsed / 5_000));
      expect(refreshes.length).toBeLessThanOrEqual(Math.ceil(elapsed / 2_000));
      connection.close();
    } finally {
      await short.stop();
    }
  }, 60_000);

  test("an event lost on the way is never skipped: the client resumes from its last id and delivers it in order", async () => {
    const admin = await registerOrg(createTestClient(one.base));
    let dropped: string | undefined;
    // The third activity on the first socket never arrives.
    let activities = 0;
    const Lossy = faultyWebSocket((data, deliver) => {
      const parsed = JSON.parse(data) as { id?: string };
      if (parsed.id !== undefined && dropped === undefined && ++activities === 3) {
        dropped = parsed.id;
        return;
      }
      deliver();
    });
    const { client } = await signedIn(one.base, admin, { WebSocket: Lossy as never });
    const connection = client.realtime.connect();
    const seen = watch(connection);
    await seen.until("open", () => connection.state === "open");
    for (let i = 0; i < 6; i++) await broadcast(one.base, admin, `lossy ${i}`);
    await seen.until("all six", () => seen.delivered.length >= 6);
    await Bun.sleep(200);
    expect(dropped).toBeDefined();
    expectConsecutive(seen.delivered, 6);
    expect(seen.delivered.map((message) => message.type === "BROADCAST_MESSAGE" && message.payload.message)).toEqual(
      Array.from({ length: 6 }, (_, i) => `lossy ${i}`),
    );
    expect(seen.states.filter((state) => state === "reconnecting").length).toBe(1);
    connection.close();
  });

  test("an event that arrives twice reaches the app once", async () => {
    const admin = await registerOrg(createTestClient(one.base));
    const Repeating = faultyWebSocket((data, deliver) => {
      deliver();
      if ((JSON.parse(data) as { id?: string }).id !== undefined) deliver();
    });
    const { client } = await signedIn(one.base, admin, { WebSocket: Repeating as never });
    const connection = client.realtime.connect();
    const seen = watch(connection);
    await seen.until("open", () => connection.state === "open");
    for (let i = 0; i < 4; i++) await broadcast(one.base, admin, `twice ${i}`);
    await seen.until("four", () => seen.delivered.length >= 4);
    await Bun.sleep(200);
    expectConsecutive(seen.delivered, 4);
    expect(seen.states).not.toContain("reconnecting");
    connection.close();
  });

  test("a connection gone silent (no close, nothing through) is noticed by the heartbeat, and the client resumes", async () => {
    const admin = await registerOrg(createTestClient(one.base));
    const relay = await startRelay(new URL(one.base));
    try {
      const { client } = await signedIn(`http://127.0.0.1:${relay.port}`, admin, { heartbeat: { intervalMs: 300, timeoutMs: 300 } });
      const connection = client.realtime.connect();
      const seen = watch(connection);
      await seen.until("open", () => connection.state === "open");
      await broadcast(one.base, admin, "before");
      await seen.until("the first", () => seen.delivered.length >= 1);
      relay.blackHole();
      for (let i = 0; i < 3; i++) await broadcast(one.base, admin, `while silent ${i}`);
      await seen.until("the rest, after a reconnect", () => seen.delivered.length >= 4, 5_000);
      expectConsecutive(seen.delivered, 4);
      expect(seen.states).toContain("reconnecting");
      connection.close();
    } finally {
      await relay.stop();
    }
  });

  test("reconnects back off with full jitter, from the initial delay to the cap", async () => {
    const admin = await registerOrg(createTestClient(one.base));
    const relay = await startRelay(new URL(one.base));
    const { WebSocket: Counting, opened: attempts } = countingWebSocket();
    // The jitter's random draw is 1: each delay is its upper bound, min(cap, initial × 2^n).
    const { client } = await signedIn(`http://127.0.0.1:${relay.port}`, admin, {
      WebSocket: Counting,
      random: () => 1,
      backoff: { initialMs: 100, maxMs: 800, stableMs: 60_000 },
    });
    const connection = client.realtime.connect();
    const seen = watch(connection);
    await seen.until("open", () => connection.state === "open");
    await relay.stop();
    await seen.until("six attempts", () => attempts.length >= 7, 10_000);
    const delays = attempts.slice(1).map((at, index) => at - (attempts[index] as number));
    // The first retry comes after the close, so its delay is from the cut, not from the first attempt.
    const expected = [200, 400, 800, 800, 800];
    delays.slice(1, 6).forEach((delay, index) => {
      expect(delay).toBeGreaterThanOrEqual((expected[index] as number) - 20);
      expect(delay).toBeLessThan((expected[index] as number) + 400);
    });
    // And with random draws of 0 it would try again at once: the jitter is full, not a fixed step.
    await relay.start();
    await seen.until("open again", () => connection.state === "open", 5_000);
    connection.close();
  }, 20_000);

  test("a token that expires on the way to the upgrade is accepted and closed 4001: the client refreshes once and connects", async () => {
    const admin = await registerOrg(createTestClient(one.base));
    const { client, refreshes } = await signedIn(one.base, admin);
    const good = client.auth.tokens();
    if (!good) throw new Error("signed in without tokens");
    const claims = jwt.decode(good.accessToken) as Record<string, unknown>;
    const now = Math.floor(Date.now() / 1000);
    const expired = jwt.sign({ ...claims, iat: now - 900, exp: now - 1 }, TEST_SECRETS.JWT_ACCESS_SECRET);
    // The client checked its token and found it good; by the time the upgrade arrives it is not
    // (a slow network, a skewed clock). Only the first upgrade carries the expired one.
    const upgrades: string[] = [];
    const Late = class extends WebSocket {
      constructor(url: string | URL, protocols?: string | string[]) {
        const late = upgrades.length === 0 ? ["bearer", expired] : protocols;
        super(url, late);
        upgrades.push(String(late));
      }
    };
    const opened = sdk(one.base, { WebSocket: Late as never });
    opened.client.auth.useTokens(good);
    const connection = opened.client.realtime.connect();
    const seen = watch(connection);
    await seen.until("open", () => connection.state === "open");
    expect(upgrades).toHaveLength(2);
    expect(opened.refreshes).toHaveLength(1);
    expect(refreshes).toHaveLength(0);
    await broadcast(one.base, admin, "after the refresh");
    await seen.until("the event", () => seen.delivered.length >= 1);
    await Bun.sleep(300);
    expect(upgrades).toHaveLength(2);
    connection.close();
  });

  test("terminal: removed from the organisation (4003) closes for good, with no reconnect", async () => {
    const admin = await registerOrg(createTestClient(one.base));
    const member = await addMember(createTestClient(one.base), admin);
    const { WebSocket: Counting, opened } = countingWebSocket();
    const { client } = await signedIn(one.base, member, { WebSocket: Counting });
    const connection = client.realtime.connect();
    const seen = watch(connection);
    await seen.until("open", () => connection.state === "open");
    await createTestClient(one.base).delete(`/api/users/${member.user.id}`, { token: admin.accessToken });
    await seen.until("closed", () => seen.closed() !== undefined);
    expect(seen.closed()?.code).toBe(4003);
    expect(connection.state).toBe("closed");
    await Bun.sleep(700);
    expect(opened).toHaveLength(1);
  });

  test("terminal: a revoked session (4001, then the refresh refused) closes for good and signs out", async () => {
    const admin = await registerOrg(createTestClient(one.base));
    const { client, refreshes } = await signedIn(one.base, admin);
    const signedOut: string[] = [];
    client.on("signedOut", (reason) => signedOut.push(reason));
    const connection = client.realtime.connect();
    const seen = watch(connection);
    await seen.until("open", () => connection.state === "open");
    await createTestClient(one.base).post("/api/auth/logout", {
      token: admin.accessToken,
      body: { refreshToken: admin.refreshToken, scope: "global" },
    });
    await seen.until("closed", () => seen.closed() !== undefined);
    expect(connection.state).toBe("closed");
    expect(signedOut).toHaveLength(1);
    expect(refreshes).toHaveLength(1);
    await Bun.sleep(500);
    expect(refreshes).toHaveLength(1);
  });

  test("resuming from far behind: replayTruncated, then the newest 500 in order, then live events with no gap loop", async () => {
    const admin = await registerOrg(createTestClient(one.base));
    await seedActivities(admin.organisation.id, 520);
    const { client } = await signedIn(one.base, admin);
    const connection = client.realtime.connect({ since: "0" });
    const seen = watch(connection);
    await seen.until("the replay", () => seen.delivered.length >= 500);
    expect(seen.truncations).toEqual([{ since: "0", oldestReplayedId: "21" }]);
    await broadcast(one.base, admin, "live");
    await seen.until("the live one", () => seen.delivered.length >= 501);
    expectConsecutive(seen.delivered, 501);
    expect(seen.delivered[0]?.id).toBe("21");
    expect(seen.states).not.toContain("reconnecting");
    connection.close();
  });
});

describe("realtime after retention", () => {
  let kept: TestServer;
  beforeAll(async () => {
    kept = await startTestServer({ ACTIVITY_RETENTION_DAYS: "30" });
  });
  afterAll(() => kept.stop());

  test("resuming where retention removed everything after since: the next live event is delivered, no reconnect loop", async () => {
    const admin = await registerOrg(createTestClient(kept.base));
    await seedActivities(admin.organisation.id, 5, 45);
    await kept.retention?.purgeNow();
    const { WebSocket: Counting, opened } = countingWebSocket();
    const { client } = await signedIn(kept.base, admin, { WebSocket: Counting });
    const connection = client.realtime.connect({ since: "2" });
    const seen = watch(connection);
    await seen.until("the truncation", () => seen.truncations.length >= 1);
    expect(seen.truncations).toEqual([{ since: "2", oldestReplayedId: null }]);
    await broadcast(kept.base, admin, "after the purge");
    await seen.until("the live one", () => seen.delivered.length >= 1);
    expect(idsOf(seen.delivered)).toEqual([6]);
    await Bun.sleep(300);
    expect(opened).toHaveLength(1);
    connection.close();
  });
});
