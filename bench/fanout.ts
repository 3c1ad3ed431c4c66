// Fan-out latency: from the broadcast request to the LAST socket holding the message.
//
//   bun bench/fanout.ts [--sockets=1000,5000] [--messages=30]
//
// Runs our API (DATABASE_URL when set, else an in-memory embedded database) and, in the same
// run, a bare Bun server that only upgrades, subscribes and publishes — the floor of this
// machine. Both are separate processes; the sockets live in this one. Figures are medians of
// three rounds of p50/p99 over `messages` sequential broadcasts. Writes bench/results/fanout.json.
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { markdownTable, median, percentile, round } from "./support/stats.ts";
import { spawnServer } from "./support/spawn-server.ts";

const arg = (name: string, fallback: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback;
const SOCKET_COUNTS = arg("sockets", "1000,5000").split(",").map(Number);
const MESSAGES = Number(arg("messages", "30"));
const ROUNDS = 3;
const OPEN_BATCH = 250;

type Target = {
  name: string;
  base: string;
  /** Opens one socket; resolves once it is ready to receive. */
  open(onMessage: (data: string) => void): Promise<WebSocket>;
  send(marker: string): Promise<void>;
};

function openSocket(url: string, protocols: string[] | undefined, ready: (data: string) => boolean, onMessage: (data: string) => void) {
  return new Promise<WebSocket>((resolve, reject) => {
    const socket = new WebSocket(url, protocols);
    let isReady = false;
    socket.onmessage = (event) => {
      const data = String(event.data);
      if (!isReady && ready(data)) {
        isReady = true;
        resolve(socket);
      } else onMessage(data);
    };
    socket.onopen = () => {
      if (ready("")) {
        isReady = true;
        resolve(socket);
      }
    };
    socket.onerror = () => reject(new Error(`socket to ${url} failed`));
  });
}

async function apiTarget(): Promise<Target & { stop(): void }> {
  const server = await spawnServer({
    RATE_LIMIT_MAX: "100000000",
    RATE_LIMIT_AUTH_MAX: "100000000",
    BCRYPT_COST: "4",
    ...(process.env.DATABASE_URL ? {} : { PGLITE_DATA_DIR: "memory://" }),
  });
  const registered = await fetch(`${server.base}/api/auth/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "Fan", email: `fan-${crypto.randomUUID()}@example.com`, password: "fan-out-password", organisationName: "Fan-out" }),
  });
  const { data } = (await registered.json()) as { data: { accessToken: string } };
  const wsUrl = `${server.base.replace("http", "ws")}/ws`;
  return {
    name: "api",
    base: server.base,
    open: (onMessage) => openSocket(wsUrl, ["bearer", data.accessToken], (d) => d.includes('"CONNECTED"'), onMessage),
    async send(marker) {
      const response = await fetch(`${server.base}/api/organisations/broadcast`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${data.accessToken}` },
        body: JSON.stringify({ message: marker }),
      });
      if (response.status !== 201) throw new Error(`broadcast failed: ${response.status}`);
      await response.arrayBuffer();
    },
    stop: server.stop,
  };
}

async function bareTarget(): Promise<Target & { stop(): void }> {
  const server = await spawnServer({}, [], fileURLToPath(new URL("./support/bare-fanout-server.ts", import.meta.url)));
  const wsUrl = `${server.base.replace("http", "ws")}/ws`;
  return {
    name: "bare Bun floor",
    base: server.base,
    open: (onMessage) => openSocket(wsUrl, undefined, (d) => d === "", onMessage),
    async send(marker) {
      const response = await fetch(`${server.base}/publish`, { method: "POST", body: JSON.stringify({ type: "BROADCAST_MESSAGE", payload: { message: marker } }) });
      await response.arrayBuffer();
    },
    stop: server.stop,
  };
}

async function measure(target: Target, sockets: number) {
  let expected = "";
  let arrivals = 0;
  let lastArrival = 0;
  let allArrived: () => void = () => {};
  const onMessage = (data: string) => {
    if (!expected || !data.includes(expected)) return;
    arrivals++;
    if (arrivals === sockets) {
      lastArrival = performance.now();
      allArrived();
    }
  };
  const open: WebSocket[] = [];
  for (let i = 0; i < sockets; i += OPEN_BATCH) {
    open.push(...(await Promise.all(Array.from({ length: Math.min(OPEN_BATCH, sockets - i) }, () => target.open(onMessage)))));
  }

  const rounds = [];
  for (let round = 0; round < ROUNDS; round++) {
    const latencies: number[] = [];
    for (let m = 0; m < MESSAGES; m++) {
      expected = `fanout-${round}-${m}-${crypto.randomUUID().slice(0, 8)}`;
      arrivals = 0;
      const arrived = new Promise<void>((resolve, reject) => {
        allArrived = resolve;
        setTimeout(() => reject(new Error(`only ${arrivals}/${sockets} sockets got ${expected}`)), 15_000);
      });
      const started = performance.now();
      await target.send(expected);
      await arrived;
      latencies.push(lastArrival - started);
    }
    rounds.push({ p50: percentile(latencies, 50), p99: percentile(latencies, 99) });
  }
  for (const socket of open) socket.close();
  return { target: target.name, sockets, p50: median(rounds.map((r) => r.p50)), p99: median(rounds.map((r) => r.p99)) };
}

const results: Awaited<ReturnType<typeof measure>>[] = [];
for (const makeTarget of [bareTarget, apiTarget]) {
  const target = await makeTarget();
  try {
    for (const sockets of SOCKET_COUNTS) results.push(await measure(target, sockets));
  } finally {
    target.stop();
  }
}

const floor = (sockets: number) => results.find((r) => r.target !== "api" && r.sockets === sockets);
console.log(
  `\nFan-out to one organisation: ms from the request to the last socket, p50/p99 of ${MESSAGES} broadcasts, median of ${ROUNDS} rounds ` +
    `(${process.env.DATABASE_URL ? "PostgreSQL" : "embedded database"})\n`,
);
console.log(
  markdownTable(
    results.map((r) => ({
      server: r.target,
      sockets: r.sockets,
      p50: round(r.p50, 1),
      p99: round(r.p99, 1),
      "p99 vs floor": r.target === "api" ? `${round(r.p99 / (floor(r.sockets)?.p99 ?? Number.NaN), 2)}×` : "",
    })),
  ),
);
mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
writeFileSync(new URL("./results/fanout.json", import.meta.url), JSON.stringify({ at: new Date().toISOString(), results }, null, 2));
