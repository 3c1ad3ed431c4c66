// How much does a burst of logins hurt everyone else?
//
//   bun bench/login-burst.ts [--rounds=3]
//
// For each password hasher, starts the API in its own process (DATABASE_URL when set, else an
// in-memory embedded database), measures GET /health latency at rest, then while 20 logins run
// at once, and prints p50/p99 for each. Results go to bench/results/login-burst.json.

import { randomUUID } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { spawnServer } from "./support/spawn-server.ts";
import { markdownTable, median, percentile, round } from "./support/stats.ts";

const ROUNDS = Number(process.argv.find((arg) => arg.startsWith("--rounds="))?.split("=")[1] ?? 3);
const BURST = 20;
const HASHERS = ["bcryptjs-sync", "bcryptjs-async", "bun-password"];

const env = {
  BCRYPT_COST: "10",
  RATE_LIMIT_MAX: "100000000",
  RATE_LIMIT_AUTH_MAX: "100000000",
  ...(process.env.DATABASE_URL ? {} : { PGLITE_DATA_DIR: "memory://" }),
};

async function timed(url: string, init?: RequestInit): Promise<number> {
  const started = performance.now();
  const response = await fetch(url, init);
  await response.arrayBuffer();
  return performance.now() - started;
}

/** Closed-loop probe: one /health at a time until `until` settles. */
async function probe(base: string, until: Promise<unknown>): Promise<number[]> {
  let done = false;
  until.finally(() => (done = true));
  const samples: number[] = [];
  while (!done) samples.push(await timed(`${base}/health`));
  return samples;
}

async function measure(hasher: string) {
  const server = await spawnServer(env, [`--hasher=${hasher}`]);
  try {
    const email = `bench-${randomUUID()}@example.com`;
    const password = "benchmark-password";
    const registered = await fetch(`${server.base}/api/auth/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "Bench", email, password, organisationName: "Bench Org" }),
    });
    if (registered.status !== 201) throw new Error(`register failed: ${registered.status}`);

    for (let i = 0; i < 200; i++) await timed(`${server.base}/health`); // warm-up
    const idle = await probe(server.base, Bun.sleep(1500));

    const rounds = [];
    for (let round = 0; round < ROUNDS; round++) {
      const started = performance.now();
      const logins = Promise.all(
        Array.from({ length: BURST }, () =>
          fetch(`${server.base}/api/auth/login`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ email, password }),
          }).then((response) => response.status),
        ),
      );
      const during = await probe(server.base, logins);
      const statuses = await logins;
      if (statuses.some((status) => status !== 200)) throw new Error(`logins failed: ${statuses}`);
      rounds.push({ p50: percentile(during, 50), p99: percentile(during, 99), burstMs: performance.now() - started });
    }
    return {
      hasher,
      idleP50: percentile(idle, 50),
      idleP99: percentile(idle, 99),
      burstP50: median(rounds.map((r) => r.p50)),
      burstP99: median(rounds.map((r) => r.p99)),
      burstMs: median(rounds.map((r) => r.burstMs)),
    };
  } finally {
    server.stop();
    await server.exited;
  }
}

const results = [];
for (const hasher of HASHERS) results.push(await measure(hasher));

console.log(
  `\nGET /health latency (ms) at rest and during ${BURST} concurrent logins, BCRYPT_COST=10, ` +
    `${process.env.DATABASE_URL ? "PostgreSQL" : "embedded database"}; burst figures are medians of ${ROUNDS} rounds\n`,
);
console.log(
  markdownTable(
    results.map((r) => ({
      hasher: r.hasher,
      "idle p50": round(r.idleP50, 2),
      "idle p99": round(r.idleP99, 2),
      "burst p50": round(r.burstP50, 2),
      "burst p99": round(r.burstP99, 2),
      "20 logins took": round(r.burstMs, 0),
    })),
  ),
);
mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
writeFileSync(new URL("./results/login-burst.json", import.meta.url), JSON.stringify({ at: new Date().toISOString(), results }, null, 2));
