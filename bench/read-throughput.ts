// Throughput of a signed-in read, measured with wrk from outside the server's process.
//
//   bun bench/read-throughput.ts [--path=/api/organisations] [--seconds=10] [--connections=50] [--compare=DIR]
//
// Starts the API (DATABASE_URL when set, else an in-memory embedded database), signs up a user
// and runs `wrk` against the path with that user's token: requests/s, p50 and p99. With
// --compare=DIR (another checkout, e.g. `git worktree add /tmp/before HEAD~1`), the two servers
// take turns, three rounds each, so "before" and "after" are measured in the same run.
// Needs wrk (Debian: `apt-get install wrk`).
import { fileURLToPath } from "node:url";
import { markdownTable, median, round } from "./support/stats.ts";
import { spawnServer } from "./support/spawn-server.ts";

const arg = (name: string, fallback?: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback;
const PATH = arg("path", "/api/organisations") as string;
const SECONDS = Number(arg("seconds", "10"));
const CONNECTIONS = Number(arg("connections", "50"));
const ROUNDS = 3;
const compare = arg("compare");

if (!Bun.which("wrk")) {
  console.error("wrk is not installed: `apt-get install wrk` (Debian) or see https://github.com/wg/wrk");
  process.exit(1);
}

const checkouts = [
  { name: "this tree", entry: fileURLToPath(new URL("./support/bench-server.ts", import.meta.url)) },
  ...(compare ? [{ name: compare, entry: `${compare}/bench/support/bench-server.ts` }] : []),
];

const env = {
  RATE_LIMIT_MAX: "1000000000",
  RATE_LIMIT_AUTH_MAX: "1000000000",
  BCRYPT_COST: "4",
  LOG_LEVEL: "error",
  ...(process.env.DATABASE_URL ? {} : { PGLITE_DATA_DIR: "memory://" }),
};

/** Runs wrk once and reads requests/s and the 50th/99th latency percentiles from its report. */
async function wrk(url: string, token: string) {
  const child = Bun.spawn(
    ["wrk", "-t2", `-c${CONNECTIONS}`, `-d${SECONDS}s`, "--latency", "-H", `Authorization: Bearer ${token}`, url],
    { stdout: "pipe", stderr: "inherit" },
  );
  const report = await new Response(child.stdout).text();
  const ms = (label: string) => {
    const [, value = "NaN", unit = "ms"] = report.match(new RegExp(`${label}%\\s+([\\d.]+)(us|ms|s)`)) ?? [];
    return Number(value) * { us: 0.001, ms: 1, s: 1000 }[unit as "us" | "ms" | "s"];
  };
  const non2xx = Number(report.match(/Non-2xx or 3xx responses: (\d+)/)?.[1] ?? 0);
  if (non2xx > 0) throw new Error(`${non2xx} responses were not 2xx:\n${report}`);
  return { rps: Number(report.match(/Requests\/sec:\s+([\d.]+)/)?.[1]), p50: ms("50"), p99: ms("99") };
}

async function measure(entry: string) {
  const server = await spawnServer(env, [], entry);
  try {
    const registered = await fetch(`${server.base}/api/auth/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "Reader", email: `reader-${crypto.randomUUID()}@example.com`, password: "read-throughput", organisationName: "Reads" }),
    });
    const { data } = (await registered.json()) as { data: { accessToken: string } };
    await wrk(`${server.base}${PATH}`, data.accessToken).catch(() => {}); // warm-up (JIT, caches, pool)
    return await wrk(`${server.base}${PATH}`, data.accessToken);
  } finally {
    server.stop();
    await server.exited;
  }
}

const samples = new Map(checkouts.map((checkout) => [checkout.name, [] as Awaited<ReturnType<typeof measure>>[]]));
for (let round = 0; round < ROUNDS; round++) {
  for (const checkout of checkouts) samples.get(checkout.name)?.push(await measure(checkout.entry));
}

console.log(
  `\nGET ${PATH} with wrk, ${CONNECTIONS} connections, ${SECONDS} s, ${process.env.DATABASE_URL ? "PostgreSQL" : "embedded database"}; medians of ${ROUNDS} rounds taken in turns\n`,
);
console.log(
  markdownTable(
    [...samples].map(([name, runs]) => ({
      server: name,
      "req/s": round(median(runs.map((r) => r.rps)), 0),
      "p50 ms": round(median(runs.map((r) => r.p50)), 2),
      "p99 ms": round(median(runs.map((r) => r.p99)), 2),
      "req/s of each round": runs.map((r) => round(r.rps, 0)).join(" / "),
    })),
  ),
);
