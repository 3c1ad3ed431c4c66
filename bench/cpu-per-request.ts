// Where a request's time goes: CPU per request of each HTTP path, split between the server
// process and PostgreSQL (every backend together), measured from /proc while wrk drives it. On
// two shared cores throughput is CPU: a path at half its floor's rate spends twice its CPU
// somewhere, and this says on which side.
//
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres bun bench/cpu-per-request.ts
import { readdirSync, readFileSync } from "node:fs";
import { encodeCursor } from "../src/lib/cursor.ts";
import { BENCH_SECRETS, prepareDataset } from "./support/dataset.ts";
import { apiEnvOf } from "./support/figures.ts";
import { spawnApi, spawnReady } from "./support/processes.ts";
import { markdownTable, round } from "./support/stats.ts";
import { ensureWrk, wrk } from "./support/wrk.ts";

if (!process.env.DATABASE_URL) {
  console.log("needs DATABASE_URL: it measures PostgreSQL's share, which the embedded database does not have");
  process.exit(2);
}

const TICKS_PER_SECOND = 100; // Linux's USER_HZ

/** /proc/<pid>/stat's fields after the command name: [0] state, [1] ppid, [11] utime, [12] stime, [13] cutime, [14] cstime. */
function statOf(pid: number | string): string[] {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  } catch {
    return []; // gone meanwhile
  }
}

/** CPU seconds used so far by `pid` (user + system). */
const cpuOf = (pid: number | string) => {
  const fields = statOf(pid);
  return (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) / TICKS_PER_SECOND;
};

/**
 * CPU seconds used so far by PostgreSQL: every live process, plus what the postmaster's children
 * that have exited used (it reaps them: their time moves into its cutime and cstime), so a
 * backend that ends mid-measure takes nothing away.
 */
function postgresCpu(): number {
  const pids = readdirSync("/proc").filter((entry) => {
    if (!/^\d+$/.test(entry)) return false;
    try {
      return readFileSync(`/proc/${entry}/comm`, "utf8").trim() === "postgres";
    } catch {
      return false;
    }
  });
  let total = 0;
  for (const pid of pids) {
    const fields = statOf(pid);
    total += cpuOf(pid);
    // The postmaster: the one whose parent is not PostgreSQL.
    if (!pids.includes(fields[1] ?? "")) total += (Number(fields[13] ?? 0) + Number(fields[14] ?? 0)) / TICKS_PER_SECOND;
  }
  return total;
}

await ensureWrk();
const dataset = await prepareDataset({ quick: true });
const api = await spawnApi(apiEnvOf(dataset, BENCH_SECRETS));
const floorEnv = { ...dataset.floorEnv(), JWT_ACCESS_SECRET: BENCH_SECRETS.JWT_ACCESS_SECRET };
const feedFloor = await spawnReady(new URL("./floors/feed-pg.ts", import.meta.url), floorEnv);
const readFloor = await spawnReady(new URL("./floors/read.ts", import.meta.url), floorEnv);
try {
  const tokens = dataset.regular.flatMap((org) => org.members.map((member) => member.token));
  const admins = dataset.regular.flatMap((org) => org.members.filter((member) => member.role === "ADMIN").map((member) => member.token));
  const paths: { name: string; url: string; pid: number; tokens?: string[] }[] = [
    { name: "feed (API)", url: `${api.base}/api/activities?limit=50`, pid: api.pid },
    { name: "feed floor (JSON in PostgreSQL)", url: feedFloor.base, pid: feedFloor.pid },
    { name: "organisation (API, cached)", url: `${api.base}/api/organisations`, pid: api.pid },
    { name: "organisation floor", url: readFloor.base, pid: readFloor.pid },
    { name: "members page (API)", url: `${api.base}/api/users?limit=20`, pid: api.pid, tokens: admins },
    {
      name: "feed, second page (API, not cached)",
      url: `${api.base}/api/activities?limit=50&cursor=${encodeCursor("1951")}`,
      pid: api.pid,
    },
  ];
  const rows = [];
  for (const path of paths) {
    const using = path.tokens ?? tokens;
    await wrk(path.url, using, { seconds: 2, connections: 50 }); // warm up
    const before = { server: cpuOf(path.pid), postgres: postgresCpu() };
    const result = await wrk(path.url, using, { seconds: 8, connections: 50 });
    const requests = result.rps * 8;
    const server = ((cpuOf(path.pid) - before.server) / requests) * 1e6;
    const postgres = ((postgresCpu() - before.postgres) / requests) * 1e6;
    rows.push({
      path: path.name,
      "req/s": round(result.rps, 0),
      "server µs/req": round(server, 0),
      "PostgreSQL µs/req": round(postgres, 0),
      "total µs/req": round(server + postgres, 0),
    });
  }
  console.log(`\n${markdownTable(rows)}\n`);
} finally {
  await Promise.all([api.stop(), feedFloor.stop(), readFloor.stop()]);
  await dataset.drop();
}
