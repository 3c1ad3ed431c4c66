import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { embeddedSecrets, secretsFileFor } from "../src/config/embedded-secrets.ts";
import { ConfigError, loadConfig } from "../src/config/env.ts";
import * as authRoutes from "../src/modules/auth/auth.routes.ts";
import { createClient, parseWith } from "./support/client.ts";
import { testDatabase } from "./support/database.ts";
import { PASSWORD, uniqueEmail } from "./support/fixtures.ts";
import { TEST_SECRETS } from "./support/server.ts";
import { connectSocket } from "./support/socket.ts";

const ENTRY = fileURLToPath(new URL("../src/main.ts", import.meta.url));

/** The server as an operator runs it: `bun src/main.ts`, its own process, configured by environment. */
async function spawnApi(env: Record<string, string>) {
  const { url } = await testDatabase();
  const child = Bun.spawn(["bun", ENTRY], {
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      PORT: "0",
      ...(url ? { DATABASE_URL: url } : { PGLITE_DATA_DIR: "memory://" }),
      ...env,
    },
    stdout: "pipe",
    stderr: "pipe",
  });
  return child;
}

/** Follows the child's stdout, so a test can wait for the line that says something happened. */
function watchOutput(child: ReturnType<typeof Bun.spawn>) {
  let output = "";
  const waiters = new Set<() => void>();
  let ended = false;
  void (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stdout as ReadableStream<Uint8Array>) {
      output += decoder.decode(chunk);
      for (const wake of [...waiters]) wake();
    }
    ended = true;
    for (const wake of [...waiters]) wake();
  })();
  return {
    /** The first match of `pattern` in the output, once it appears. */
    waitFor: (pattern: RegExp, timeoutMs = 10_000) =>
      new Promise<RegExpMatchArray>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}: ${output}`)), timeoutMs);
        const check = () => {
          const match = output.match(pattern);
          if (match || ended) {
            waiters.delete(check);
            clearTimeout(timer);
            if (match) resolve(match);
            else reject(new Error(`server exited before printing ${pattern}: ${output}`));
          }
        };
        waiters.add(check);
        check();
      }),
  };
}

describe("graceful shutdown", () => {
  test("SIGTERM: the in-flight request completes, sockets get 1001, the process exits 0", async () => {
    const child = await spawnApi({
      ...TEST_SECRETS,
      NODE_ENV: "production",
      BCRYPT_COST: "14", // about a second per hash: a request that is surely still running
      RATE_LIMIT_AUTH_MAX: "1000",
      LOG_LEVEL: "debug",
    });
    const output = watchOutput(child);
    try {
      const base = `http://127.0.0.1:${(await output.waitFor(/listening on http:\/\/localhost:(\d+)/))[1]}`;
      const api = createClient(base);
      const email = uniqueEmail("shutdown");
      const registered = await api.post("/api/auth/register", {
        body: { name: "Sig", email, password: PASSWORD, organisationName: "Term" },
      });
      expect(registered.status).toBe(201);
      const socket = await connectSocket(base, parseWith(authRoutes.register, 201, registered).data.accessToken);
      await socket.next((m) => m.type === "CONNECTED");

      const slowLogin = api.post("/api/auth/login", { body: { email, password: PASSWORD } });
      await output.waitFor(/"path":"\/api\/auth\/login"[^\n]*"msg":"request started"/);
      child.kill("SIGTERM");

      expect((await slowLogin).status).toBe(200);
      expect((await socket.closed(5000)).code).toBe(1001);
      expect(await child.exited).toBe(0);
      await expect(fetch(`${base}/health`)).rejects.toThrow();
    } finally {
      child.kill("SIGKILL");
    }
  }, 30_000);
});

describe("production guard", () => {
  test.each([
    ["JWT_ACCESS_SECRET", { JWT_ACCESS_SECRET: "too-short", JWT_REFRESH_SECRET: TEST_SECRETS.JWT_REFRESH_SECRET }],
    ["JWT_REFRESH_SECRET", { JWT_ACCESS_SECRET: TEST_SECRETS.JWT_ACCESS_SECRET }],
  ])("a missing or short %s stops a production start, naming the key", async (key, secrets) => {
    const child = await spawnApi({ NODE_ENV: "production", ...secrets });
    expect(await child.exited).not.toBe(0);
    const stderr = await new Response(child.stderr as ReadableStream).text();
    expect(stderr).toContain(key);
  });

  test("development generates missing secrets, with a warning for each", () => {
    const { config, warnings } = loadConfig({ NODE_ENV: "development" });
    expect(config.JWT_ACCESS_SECRET.length).toBeGreaterThanOrEqual(32);
    expect(config.JWT_REFRESH_SECRET).not.toBe(config.JWT_ACCESS_SECRET);
    expect(warnings.join("\n")).toMatch(/JWT_ACCESS_SECRET[\s\S]*JWT_REFRESH_SECRET/);
  });

  test.each([
    ["PORT", { PORT: "eighty" }],
    ["BCRYPT_COST", { BCRYPT_COST: "3" }],
    ["JWT_ACCESS_EXPIRES_IN", { JWT_ACCESS_EXPIRES_IN: "15 minutes" }],
    ["TRUST_PROXY", { TRUST_PROXY: "yes" }],
    ["DATABASE_URL", { DATABASE_URL: "not a url" }],
    ["CORS_ORIGINS", { CORS_ORIGINS: "https://ok.example, not an origin" }],
  ])("a malformed %s fails fast, naming the key", (key, env) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(key);
  });
});

describe("embedded database with no configuration", () => {
  const made: string[] = [];
  const scratchDir = (prefix: string) => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    made.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const dir of made) rmSync(dir, { recursive: true, force: true });
  });

  test("secrets are generated once beside the database (owner-only), reused, and never override the environment", () => {
    const dataDir = join(scratchDir("saas-secrets-"), "pglite");
    const first = embeddedSecrets(dataDir, {});
    expect(first.JWT_ACCESS_SECRET?.length).toBeGreaterThanOrEqual(32);
    expect(first.JWT_REFRESH_SECRET).not.toBe(first.JWT_ACCESS_SECRET);
    expect(statSync(secretsFileFor(dataDir)).mode & 0o777).toBe(0o600);
    expect(embeddedSecrets(dataDir, {})).toEqual(first);
    expect(embeddedSecrets(dataDir, { JWT_ACCESS_SECRET: "from the environment" })).toEqual({
      JWT_REFRESH_SECRET: first.JWT_REFRESH_SECRET,
    });
    expect(embeddedSecrets("memory://", {})).toEqual({});
  });

  test("production starts on the embedded database, and a token survives a restart", async () => {
    const dataDir = join(scratchDir("saas-embedded-"), "pglite");
    const start = async () => {
      const child = Bun.spawn(["bun", ENTRY], {
        env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", PORT: "0", NODE_ENV: "production", PGLITE_DATA_DIR: dataDir },
        stdout: "pipe",
        stderr: "pipe",
      });
      const output = watchOutput(child);
      const port = (await output.waitFor(/listening on http:\/\/localhost:(\d+)/, 30_000))[1];
      return { child, api: createClient(`http://127.0.0.1:${port}`) };
    };

    const first = await start();
    let token: string;
    try {
      const registered = await first.api.post("/api/auth/register", {
        body: { name: "Solo", email: uniqueEmail("embedded"), password: PASSWORD, organisationName: "Embedded" },
      });
      expect(registered.status).toBe(201);
      token = parseWith(authRoutes.register, 201, registered).data.accessToken;
      first.child.kill("SIGTERM");
      expect(await first.child.exited).toBe(0);
    } finally {
      first.child.kill("SIGKILL");
    }

    const second = await start();
    try {
      expect((await second.api.get("/api/organisations", { token })).status).toBe(200);
    } finally {
      second.child.kill("SIGKILL");
    }
  }, 60_000);
});

describe("start-up before the database", () => {
  if (!process.env.DATABASE_URL)
    console.log("skipped: waiting for a late PostgreSQL needs a server to be late (the embedded database is in the process)");
  test.skipIf(!process.env.DATABASE_URL)(
    "the API waits for a PostgreSQL that is not accepting connections yet",
    async () => {
      const { url } = await testDatabase();
      const target = new URL(url as string);
      // A port where nothing listens yet; after a moment, a plain TCP relay to the real server opens on it.
      const port = await freePort();
      const late = new URL(target);
      late.port = String(port);
      const child = await spawnApi({ ...TEST_SECRETS, DATABASE_URL: late.toString() });
      const output = watchOutput(child);
      let relay: { stop(): void } | undefined;
      try {
        await output.waitFor(/database not reachable yet/);
        relay = await tcpRelay(port, target.hostname, Number(target.port || 5432));
        const listening = await output.waitFor(/listening on http:\/\/localhost:(\d+)/, 15_000);
        expect((await fetch(`http://127.0.0.1:${listening[1]}/ready`)).status).toBe(200);
      } finally {
        child.kill("SIGKILL");
        relay?.stop();
      }
    },
    30_000,
  );
});

async function freePort() {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const { port } = probe;
  probe.stop(true);
  return port;
}

/** Bytes both ways between a local port and the database server, nothing else. */
async function tcpRelay(port: number, hostname: string, targetPort: number) {
  const server = createServer((client) => {
    const upstream = connect(targetPort, hostname);
    client.pipe(upstream).pipe(client);
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { stop: () => server.close() };
}

describe("the database role", () => {
  const onServer = !!process.env.DATABASE_URL;
  if (!onServer)
    console.log("skipped: the superuser and BYPASSRLS start checks need a PostgreSQL server (the embedded database has one user)");
  /** The run's database, reached as `user` (trust auth on the test server, as in CI). */
  const as = async (user: string) => {
    const url = new URL((await testDatabase()).url as string);
    url.username = user;
    url.password = "";
    return url.toString();
  };
  /** The server's superuser (DATABASE_URL's server, user postgres). */
  const admin = async () => {
    const { default: pg } = await import("pg");
    const client = new pg.Client({ connectionString: await as("postgres") });
    await client.connect();
    return client;
  };

  test.if(onServer)(
    "production refuses to start as a superuser, or as a role with BYPASSRLS, naming the fix",
    async () => {
      const client = await admin();
      const bypasser = `bypass_${Date.now()}`;
      await client.query(`create role ${bypasser} login bypassrls`);
      try {
        for (const user of ["postgres", bypasser]) {
          const child = await spawnApi({ ...TEST_SECRETS, NODE_ENV: "production", DATABASE_URL: await as(user) });
          expect(await child.exited, user).not.toBe(0);
          const stderr = await new Response(child.stderr as ReadableStream).text();
          expect(stderr, user).toContain(`DATABASE_URL connects as ${user}`);
          expect(stderr, user).toContain(user === "postgres" ? "a superuser" : "BYPASSRLS");
          expect(stderr, user).toContain("connect as an ordinary role that owns the database");
          expect(stderr.trim().split("\n"), user).toHaveLength(1);
        }
      } finally {
        await client.query(`drop role if exists ${bypasser}`);
        await client.end();
      }
    },
    30_000,
  );

  test.if(onServer)(
    "development starts as a superuser, with a warning",
    async () => {
      const child = await spawnApi({ ...TEST_SECRETS, NODE_ENV: "development", DATABASE_URL: await as("postgres") });
      const output = watchOutput(child);
      try {
        await output.waitFor(/DATABASE_URL connects as postgres, a superuser[^"]*refused in production/);
        await output.waitFor(/listening on http/);
      } finally {
        child.kill("SIGKILL");
      }
    },
    30_000,
  );
});

describe("one process per embedded database", () => {
  test("a second server, or db:migrate, on a directory in use exits with one line naming the first; a stale lock is taken over", async () => {
    const root = mkdtempSync(join(tmpdir(), "saas-lock-"));
    const env = {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      PORT: "0",
      PGLITE_DATA_DIR: join(root, "pglite"),
      LOG_LEVEL: "info",
    };
    const spawn = (entry: string) => Bun.spawn(["bun", entry], { env, stdout: "pipe", stderr: "pipe" });
    const first = spawn(ENTRY);
    let third: ReturnType<typeof Bun.spawn> | undefined;
    try {
      await watchOutput(first).waitFor(/listening on http/, 20_000);
      for (const entry of [ENTRY, fileURLToPath(new URL("../src/db/migrate-cli.ts", import.meta.url))]) {
        const second = spawn(entry);
        expect(await second.exited, entry).toBe(1);
        const stderr = (await new Response(second.stderr as ReadableStream).text()).trim();
        expect(stderr.split("\n"), entry).toHaveLength(1);
        expect(stderr, entry).toContain(`in use by process ${first.pid}`);
        expect(stderr, entry).toContain("PGLITE_DATA_DIR");
      }
      first.kill("SIGKILL"); // leaves its lock behind
      await first.exited;
      third = spawn(ENTRY);
      await watchOutput(third).waitFor(/listening on http/, 20_000);
    } finally {
      first.kill("SIGKILL");
      third?.kill("SIGKILL");
      await third?.exited;
      rmSync(root, { recursive: true, force: true });
    }
  }, 60_000);
});
