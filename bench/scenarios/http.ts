// Signed-in reads under wrk, each next to its floor: orgRead, feed, and the login storm.
import { BENCH_PASSWORD, BENCH_SECRETS } from "../support/dataset.ts";
import { apiEnvOf, type Figure, noiseOf, type ScenarioOptions, times } from "../support/figures.ts";
import { type Spawned, spawnApi, spawnReady } from "../support/processes.ts";
import { median, round } from "../support/stats.ts";
import { type WrkResult, wrk } from "../support/wrk.ts";

type Load = { seconds: number; connections: number };

/** Medians of `rounds` wrk runs against each server, taken in turns so noise hits both alike. */
async function inTurns(servers: Array<{ name: string; url: string }>, tokens: string[], load: Load, rounds: number) {
  const runs = new Map(servers.map((server) => [server.name, [] as WrkResult[]]));
  for (const server of servers) await wrk(server.url, tokens, { ...load, seconds: 1 }); // warm up: JIT, caches, pools
  for (let round = 0; round < rounds; round++) {
    for (const server of servers) {
      const result = await wrk(server.url, tokens, load);
      if (result.errors > 0) throw new Error(`${server.name}: ${result.errors} failed requests`);
      runs.get(server.name)?.push(result);
    }
  }
  return Object.fromEntries(
    [...runs].map(([name, results]) => [
      name,
      {
        rps: median(results.map((r) => r.rps)),
        p99: median(results.map((r) => r.p99)),
        each: results.map((r) => round(r.rps, 0)).join("/"),
        rounds: results.map((r) => r.rps),
      },
    ]),
  );
}

const floorEnv = (options: ScenarioOptions) => ({ ...options.dataset.floorEnv(), JWT_ACCESS_SECRET: BENCH_SECRETS.JWT_ACCESS_SECRET });

export async function httpFigures(options: ScenarioOptions): Promise<Figure[]> {
  const { dataset, quick, wanted } = options;
  const rounds = quick ? 1 : 3;
  const load = { seconds: quick ? 3 : 8, connections: 50 };
  const figures: Figure[] = [];
  const api = await spawnApi(apiEnvOf(dataset, BENCH_SECRETS));
  const started: Spawned[] = [api];
  try {
    const tokens = dataset.regular.flatMap((org) => org.members.map((member) => member.token));

    if (wanted("orgRead")) {
      const floor = await spawnReady(new URL("../floors/read.ts", import.meta.url), floorEnv(options));
      started.push(floor);
      const other = options.compare ? await spawnApi(apiEnvOf(dataset, BENCH_SECRETS), options.compare) : undefined;
      if (other) started.push(other);
      const r = await inTurns(
        [
          { name: "api", url: `${api.base}/api/organisations` },
          { name: "floor", url: floor.base },
          ...(other ? [{ name: "other", url: `${other.base}/api/organisations` }] : []),
        ],
        tokens,
        load,
        rounds,
      );
      const ratio = (r.api?.rps ?? 0) / (r.floor?.rps ?? 1);
      figures.push({
        name: "orgRead",
        ours: `${round(r.api?.rps ?? 0, 0)} req/s, p99 ${round(r.api?.p99 ?? 0, 2)} ms`,
        floor: `${round(r.floor?.rps ?? 0, 0)} req/s, p99 ${round(r.floor?.p99 ?? 0, 2)} ms`,
        ratio: times(ratio),
        target: "≥ 1.0×, p99 no higher",
        met: ratio >= 1 && (r.api?.p99 ?? Infinity) <= (r.floor?.p99 ?? 0),
        note: `rounds (req/s): api ${r.api?.each}, floor ${r.floor?.each}`,
        noisy: noiseOf({ floor: r.floor?.rounds ?? [], api: r.api?.rounds ?? [] }),
      });
      if (other) {
        const versus = (r.api?.rps ?? 0) / (r.other?.rps ?? 1);
        figures.push({
          name: "orgReadVsCompare",
          ours: `${round(r.api?.rps ?? 0, 0)} req/s, p99 ${round(r.api?.p99 ?? 0, 2)} ms`,
          floor: `${round(r.other?.rps ?? 0, 0)} req/s, p99 ${round(r.other?.p99 ?? 0, 2)} ms (${options.compare})`,
          ratio: times(versus),
          target: "informational",
          met: true,
          note: `rounds (req/s): api ${r.api?.each}, ${options.compare} ${r.other?.each}`,
        });
      }
    }

    if (wanted("feed")) {
      const pgFloor = await spawnReady(new URL("../floors/feed-pg.ts", import.meta.url), floorEnv(options));
      const jsFloor = await spawnReady(new URL("../floors/feed-js.ts", import.meta.url), floorEnv(options));
      started.push(pgFloor, jsFloor);
      const r = await inTurns(
        [
          { name: "api", url: `${api.base}/api/activities?limit=50` },
          { name: "pg", url: pgFloor.base },
          { name: "js", url: jsFloor.base },
        ],
        tokens,
        load,
        rounds,
      );
      const ratio = (r.api?.rps ?? 0) / (r.pg?.rps ?? 1);
      figures.push({
        name: "feed",
        ours: `${round(r.api?.rps ?? 0, 0)} req/s, p99 ${round(r.api?.p99 ?? 0, 2)} ms`,
        floor: `${round(r.pg?.rps ?? 0, 0)} req/s (JSON in PostgreSQL); ${round(r.js?.rps ?? 0, 0)} req/s (JSON in JS)`,
        ratio: times(ratio),
        target: "≥ 1.0× the JSON-in-PostgreSQL floor",
        met: ratio >= 1,
        noisy: noiseOf({ floor: r.pg?.rounds ?? [], api: r.api?.rounds ?? [] }),
        note: `rounds (req/s): api ${r.api?.each}, pg floor ${r.pg?.each}, js floor ${r.js?.each}; api vs the JS floor ${times((r.api?.rps ?? 0) / (r.js?.rps ?? 1))}`,
      });
    }

    if (wanted("loginStorm")) figures.push(await loginStorm(api, tokens, quick, rounds));
  } finally {
    for (const server of started) await server.stop();
  }
  return figures;

  /** p99 of GET /api/organisations (10 connections) at rest, then while 20 logins run at once, over and over. */
  async function loginStorm(api: Spawned, tokens: string[], quick: boolean, rounds: number): Promise<Figure> {
    const load = { seconds: quick ? 3 : 6, connections: 10 };
    const url = `${api.base}/api/organisations`;
    const quiet: number[] = [];
    const storm: number[] = [];
    const logins = dataset.regular.flatMap((org) => org.members).slice(0, 20);
    await wrk(url, tokens, { ...load, seconds: 1 });
    for (let round = 0; round < rounds; round++) {
      quiet.push((await wrk(url, tokens, load)).p99);
      let storming = true;
      const stormers = logins.map(async (member) => {
        while (storming) {
          const response = await fetch(`${api.base}/api/auth/login`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ email: member.email, password: BENCH_PASSWORD }),
          });
          if (response.status !== 200) throw new Error(`login answered ${response.status}`);
          await response.arrayBuffer();
        }
      });
      storm.push((await wrk(url, tokens, load)).p99);
      storming = false;
      await Promise.all(stormers);
    }
    const ratio = median(storm) / median(quiet);
    return {
      name: "loginStorm",
      ours: `p99 ${round(median(storm), 2)} ms during 20 concurrent logins`,
      floor: `p99 ${round(median(quiet), 2)} ms at rest`,
      ratio: times(ratio),
      target: "≤ 3×",
      met: ratio <= 3,
    };
  }
}
