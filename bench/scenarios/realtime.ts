// Realtime figures: fan-out latency against a bare Bun floor, delivery at 10,000 sockets,
// sustained load, a slow consumer, and what an idle socket costs in memory.
import { connect } from "node:net";
import { BENCH_SECRETS, type Org } from "../support/dataset.ts";
import { apiEnvOf, type Figure, noiseOf, type ScenarioOptions, times } from "../support/figures.ts";
import { rssMb, type Spawned, spawnApi, spawnReady } from "../support/processes.ts";
import { marker, openCrowd, type SocketCrowd } from "../support/sockets.ts";
import { median, percentile, round } from "../support/stats.ts";

type Target = {
  /** Opens `count` sockets in one organisation (the floor: one topic). */
  crowd(count: number, org?: Org): Promise<SocketCrowd>;
  /** Sends one event carrying `text` to that organisation. */
  send(text: string, org?: Org): Promise<void>;
};

const wsBase = (server: Spawned) => server.base.replace(/^http/, "ws");

function apiTarget(api: Spawned, defaultOrg: Org): Target {
  return {
    crowd: (count, org = defaultOrg) =>
      openCrowd(
        () => `${wsBase(api)}/ws`,
        count,
        (i) => org.members[i % org.members.length]?.token as string,
      ),
    async send(text, org = defaultOrg) {
      const response = await fetch(`${api.base}/api/organisations/broadcast`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${org.members[0]?.token}` },
        body: JSON.stringify({ message: text }),
      });
      if (response.status !== 201) throw new Error(`broadcast answered ${response.status}: ${await response.text()}`);
      await response.arrayBuffer();
    },
  };
}

/** What the fan-out floor publishes: the same shape and size as the API's broadcast event. */
export const floorEvent = (text: string) => ({
  type: "BROADCAST_MESSAGE",
  payload: {
    message: text,
    sentBy: { id: crypto.randomUUID(), name: "Member 0", email: "m0@bench.example" },
    sentAt: new Date().toISOString(),
  },
  id: "2001",
  at: new Date().toISOString(),
});

/** The durable floor's environment: the run's database on the bypass path, and the organisation its events are recorded in. */
const durableFloorEnv = (dataset: ScenarioOptions["dataset"], org: Org) => ({ ...dataset.floorEnv(), FLOOR_ORGANISATION: org.id });

function floorTarget(floor: Spawned): Target {
  return {
    crowd: (count) => openCrowd(() => `${wsBase(floor)}/ws?topic=all`, count),
    async send(text) {
      const response = await fetch(`${floor.base}/publish?topic=all`, { method: "POST", body: JSON.stringify(floorEvent(text)) });
      await response.arrayBuffer();
    },
  };
}

/** Latency from the send to the last of the crowd's sockets, for `messages` sends spaced by `everyMs` (0: one after another). */
async function latencies(target: Target, crowd: SocketCrowd, count: number, messages: number, everyMs = 0) {
  const results: number[] = [];
  let lost = 0;
  const inFlight: Promise<void>[] = [];
  for (let m = 0; m < messages; m++) {
    const text = marker();
    const started = performance.now();
    const arrived = crowd.allReceived(text, count, 10_000).then(
      (at) => {
        results.push(at - started);
      },
      () => {
        lost += count - crowd.received(text);
      },
    );
    await target.send(text);
    if (everyMs === 0) await arrived;
    else {
      inFlight.push(arrived);
      await Bun.sleep(Math.max(0, started + everyMs - performance.now()));
    }
  }
  await Promise.all(inFlight);
  return { p50: percentile(results, 50), p99: percentile(results, 99), lost };
}

export async function realtimeFigures({ dataset, quick, wanted }: ScenarioOptions): Promise<Figure[]> {
  const figures: Figure[] = [];
  const rounds = quick ? 1 : 3;
  const org = dataset.regular[1] as Org;

  for (const [name, count] of [
    ["fanout1k", 1000],
    ["fanout5k", 5000],
  ] as const) {
    if (!wanted(name) || (quick && count > 1000)) continue;
    const messages = quick ? 10 : 100;
    const p99s = { api: [] as number[], floor: [] as number[], durable: [] as number[] };
    // To 1,000 sockets, also against a floor that commits the event first, as a broadcast must
    // (PostgreSQL only: on the embedded database the write is not what it is in production).
    const durable = count === 1000 && dataset.driver === "pg";
    for (let round = 0; round < rounds; round++) {
      for (const which of durable ? (["floor", "durable", "api"] as const) : (["floor", "api"] as const)) {
        const server =
          which === "api"
            ? await spawnApi(apiEnvOf(dataset, BENCH_SECRETS))
            : which === "durable"
              ? await spawnReady(new URL("../floors/fanout-durable.ts", import.meta.url), durableFloorEnv(dataset, org))
              : await spawnReady(new URL("../floors/fanout.ts", import.meta.url), {});
        const target = which === "api" ? apiTarget(server, org) : floorTarget(server);
        const crowd = await target.crowd(count);
        try {
          await latencies(target, crowd, count, 3); // warm up
          const result = await latencies(target, crowd, count, messages);
          if (result.lost > 0) throw new Error(`${which}: ${result.lost} deliveries lost`);
          p99s[which].push(result.p99);
        } finally {
          crowd.close();
          await server.stop();
        }
      }
    }
    const ours = median(p99s.api);
    const floor = median(p99s.floor);
    const committed = durable ? median(p99s.durable) : undefined;
    const perRound = (p99: number[]) => p99.map((v) => round(v, 1)).join("/");
    figures.push({
      name,
      ours: `p99 ${round(ours, 1)} ms to the last of ${count} sockets`,
      floor: `p99 ${round(floor, 1)} ms (server.publish from the handler)${
        committed === undefined ? "" : `; ${round(committed, 1)} ms committing the event first (${times(ours / committed)} of it)`
      }`,
      ratio: times(ours / floor),
      target: "≤ 1.15×",
      met: ours / floor <= 1.15,
      note: `p99 per round: api ${perRound(p99s.api)}, floor ${perRound(p99s.floor)}${durable ? `, durable floor ${perRound(p99s.durable)}` : ""}`,
      noisy: noiseOf({ floor: p99s.floor, api: p99s.api }),
    });
  }

  if (wanted("fanout10kLost") && !quick) figures.push(await tenThousand());
  if (wanted("sustained")) figures.push(await sustained());
  if (wanted("slowConsumer") && !quick) figures.push(await slowConsumer());
  if (wanted("socketMemory")) figures.push(await socketMemory());
  return figures;

  /** 10,000 sockets over 100 organisations; every organisation broadcasts; nothing may be lost. */
  async function tenThousand(): Promise<Figure> {
    const orgs = [...dataset.regular, ...dataset.quiet];
    const api = await spawnApi(apiEnvOf(dataset, BENCH_SECRETS));
    const crowds: SocketCrowd[] = [];
    try {
      for (const each of orgs) crowds.push(await apiTarget(api, each).crowd(100, each));
      const sends: Array<{ crowd: SocketCrowd; text: string }> = [];
      const perOrg = 3;
      await Promise.all(
        orgs.map(async (each, i) => {
          for (let m = 0; m < perOrg; m++) {
            const text = marker();
            sends.push({ crowd: crowds[i] as SocketCrowd, text });
            await apiTarget(api, each).send(text, each);
          }
        }),
      );
      const outcomes = await Promise.all(
        sends.map(({ crowd, text }) =>
          crowd.allReceived(text, 100, 20_000).then(
            () => 0,
            () => 100 - crowd.received(text),
          ),
        ),
      );
      const lost = outcomes.reduce((sum, n) => sum + n, 0);
      const closed = crowds.reduce((sum, crowd) => sum + crowd.closed(), 0);
      return {
        name: "fanout10kLost",
        ours: `${lost} lost of ${sends.length * 100} deliveries; ${closed} sockets closed`,
        floor: "0",
        ratio: String(lost),
        target: "0 lost",
        met: lost === 0 && closed === 0,
        note: `10,000 sockets over ${orgs.length} organisations, ${perOrg} broadcasts each, sent concurrently`,
      };
    } finally {
      for (const crowd of crowds) crowd.close();
      await api.stop();
    }
  }

  /** 10 broadcasts a second to 5,000 sockets, against the floor under the same load. */
  /** 10 broadcasts a second to 5,000 sockets, in rounds taken in turns with the floor, as every figure is. */
  async function sustained(): Promise<Figure> {
    const count = quick ? 1000 : 5000;
    const messages = quick ? 30 : 100; // 3 s or 10 s at 10/s, per round
    const p99s = { api: [] as number[], floor: [] as number[] };
    let lost = 0;
    let closed = 0;
    for (let round = 0; round < rounds; round++) {
      for (const which of ["floor", "api"] as const) {
        const server =
          which === "api"
            ? await spawnApi(apiEnvOf(dataset, BENCH_SECRETS))
            : await spawnReady(new URL("../floors/fanout.ts", import.meta.url), {});
        const target = which === "api" ? apiTarget(server, org) : floorTarget(server);
        const crowd = await target.crowd(count);
        try {
          await latencies(target, crowd, count, 3);
          const result = await latencies(target, crowd, count, messages, 100);
          p99s[which].push(result.p99);
          if (which === "api") {
            lost += result.lost;
            closed += crowd.closed();
          }
        } finally {
          crowd.close();
          await server.stop();
        }
      }
    }
    const ours = median(p99s.api);
    const floor = median(p99s.floor);
    const ratio = ours / floor;
    return {
      name: "sustained",
      ours: `p99 ${round(ours, 1)} ms; ${lost} lost, ${closed} closed`,
      floor: `p99 ${round(floor, 1)} ms`,
      ratio: times(ratio),
      target: "0 lost, none closed, ≤ 1.3×",
      met: lost === 0 && closed === 0 && ratio <= 1.3,
      note: `10 broadcasts/s to ${count} sockets for ${messages / 10} s a round; p99 per round: api ${p99s.api.map((v) => round(v, 1)).join("/")}, floor ${p99s.floor.map((v) => round(v, 1)).join("/")}`,
      noisy: noiseOf({ floor: p99s.floor, api: p99s.api }),
    };
  }

  /** One socket stops reading while 100 others receive a flood: it is cut off, they lose nothing, memory holds. */
  async function slowConsumer(): Promise<Figure> {
    const api = await spawnApi(apiEnvOf(dataset, BENCH_SECRETS));
    const target = apiTarget(api, org);
    const crowd = await target.crowd(100);
    try {
      const before = await rssMb(api.pid);
      const slow = await stalledSocket(api, org.members[0]?.token as string);
      const flood = 6000;
      const texts = Array.from({ length: flood }, () => marker());
      const body = "x".repeat(1900);
      for (let i = 0; i < flood; i += 20) await Promise.all(texts.slice(i, i + 20).map((text) => target.send(`${text} ${body}`)));
      const outcomes = await Promise.all(
        texts.map((text) =>
          crowd.allReceived(text, 100, 20_000).then(
            () => 0,
            () => 100 - crowd.received(text),
          ),
        ),
      );
      const lost = outcomes.reduce((sum, n) => sum + n, 0);
      const peak = await rssMb(api.pid);
      const slowClosed = await slow.wasClosed();
      const growth = peak - before;
      return {
        name: "slowConsumer",
        ours: `slow socket ${slowClosed ? "closed" : "NOT closed"}; ${lost} lost by the other 100; RSS +${round(growth, 1)} MB`,
        floor: "closed, 0 lost",
        ratio: `+${round(growth, 1)} MB`,
        target: "closed, 0 lost, RSS growth ≤ 64 MB",
        met: slowClosed && lost === 0 && growth <= 64,
        note: `${flood} broadcasts of ~2 KB (~${round((flood * 2) / 1024, 0)} MB per socket) while one socket reads nothing`,
      };
    } finally {
      crowd.close();
      await api.stop();
    }
  }

  /** RSS growth from 1,000 to 10,000 idle authenticated sockets in one organisation, and what the first 1,000 cost. */
  async function socketMemory(): Promise<Figure> {
    const api = await spawnApi(apiEnvOf(dataset, BENCH_SECRETS));
    const target = apiTarget(api, org);
    const crowds: SocketCrowd[] = [];
    try {
      const first = await target.crowd(10); // warm the upgrade path: JIT, the room
      crowds.push(first);
      await Bun.sleep(1000);
      const atRest = await rssMb(api.pid);
      crowds.push(await target.crowd(1000 - 10));
      await Bun.sleep(2000);
      const at1k = await rssMb(api.pid);
      const total = quick ? 4000 : 10_000;
      crowds.push(await target.crowd(total - 1000));
      await Bun.sleep(2000);
      const atTotal = await rssMb(api.pid);
      const growth = ((atTotal - at1k) * 9000) / (total - 1000); // scaled to 9,000 sockets in --quick
      return {
        name: "socketMemory",
        ours: `+${round(atTotal - at1k, 1)} MB from 1,000 to ${total.toLocaleString("en")} sockets (${round(((atTotal - at1k) * 1024) / (total - 1000), 1)} KB each)`,
        floor: `first 1,000: +${round(at1k - atRest, 1)} MB over ${round(atRest, 0)} MB at rest`,
        ratio: `+${round(growth, 1)} MB per 9,000`,
        target: "≤ 30 MB from 1,000 to 10,000",
        met: growth <= 30,
      };
    } finally {
      for (const crowd of crowds) crowd.close();
      await api.stop();
    }
  }
}

/** A WebSocket that completes its handshake and then reads nothing, until asked whether the server closed it. */
async function stalledSocket(api: Spawned, token: string) {
  const { port } = new URL(api.base);
  const socket = connect(Number(port), "127.0.0.1");
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  const key = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
  socket.write(
    `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: bearer, ${token}\r\n\r\n`,
  );
  await new Promise<void>((resolve) => socket.once("data", () => resolve()));
  socket.pause();
  return {
    /** Drains what was buffered; true when the server ended the connection. */
    wasClosed: () =>
      new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 10_000);
        socket.on("data", () => {});
        socket.once("close", () => {
          clearTimeout(timer);
          resolve(true);
        });
        socket.resume();
      }),
  };
}
