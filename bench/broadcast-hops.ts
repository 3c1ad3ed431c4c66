// Where a broadcast's time goes, hop by hop: timestamps of one broadcast at a time to 1,000
// sockets, from the client's send, through the API's own spans (the request, its transaction and
// recordActivity, the publish on the instance that hears the commit), to the first and the last
// socket. The API runs as operators run it, with tracing on: its spans come over OTLP/HTTP to a
// collector in this script, on the same machine and clock. Tracing costs a little; the figure is
// where the time goes, not how much there is (that is fanout1k in `bun run bench`).
//
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres bun bench/broadcast-hops.ts [broadcasts]
import { randomBytes } from "node:crypto";
import { floorEvent } from "./scenarios/realtime.ts";
import { BENCH_SECRETS, type Org, prepareDataset } from "./support/dataset.ts";
import { apiEnvOf } from "./support/figures.ts";
import { spawnApi, spawnReady } from "./support/processes.ts";
import { marker, openCrowd } from "./support/sockets.ts";
import { markdownTable, percentile, round } from "./support/stats.ts";

if (!process.env.DATABASE_URL) {
  console.log("needs DATABASE_URL: on the embedded database the commit is not what it is in production");
  process.exit(2);
}

type Span = { name: string; traceId: string; start: number; end: number; links: string[] };
const spans: Span[] = [];
/** OTLP/HTTP JSON, as the API's exporter sends it: ids hex, times in nanoseconds since the epoch. */
const collector = Bun.serve({
  port: 0,
  async fetch(request) {
    const body = (await request.json()) as {
      resourceSpans: {
        scopeSpans: {
          spans: { name: string; traceId: string; startTimeUnixNano: string; endTimeUnixNano: string; links?: { traceId: string }[] }[];
        }[];
      }[];
    };
    for (const resource of body.resourceSpans)
      for (const scope of resource.scopeSpans)
        for (const span of scope.spans)
          spans.push({
            name: span.name,
            traceId: span.traceId,
            start: Number(BigInt(span.startTimeUnixNano) / 1000n) / 1000,
            end: Number(BigInt(span.endTimeUnixNano) / 1000n) / 1000,
            links: (span.links ?? []).map((link) => link.traceId),
          });
    return Response.json({});
  },
});

const count = Number(process.argv[2] ?? 100);
const epochMs = (now: number) => performance.timeOrigin + now;
const dataset = await prepareDataset({ quick: true });
const org = dataset.regular[1] as Org;
try {
  const api = await spawnApi({
    ...apiEnvOf(dataset, BENCH_SECRETS),
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collector.port}`,
  });
  const sends: { traceId: string; sent: number; answered: number; first: number; last: number }[] = [];
  const crowd = await openCrowd(
    () => `${api.base.replace(/^http/, "ws")}/ws`,
    1000,
    (i) => org.members[i % org.members.length]?.token as string,
  );
  try {
    for (let i = 0; i < count + 5; i++) {
      const text = marker();
      const traceId = randomBytes(16).toString("hex");
      const arrived = crowd.allReceived(text, 1000, 10_000);
      const sent = performance.now();
      const response = await fetch(`${api.base}/api/organisations/broadcast`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          authorization: `Bearer ${org.members[0]?.token}`,
          traceparent: `00-${traceId}-${randomBytes(8).toString("hex")}-01`,
        },
        body: JSON.stringify({ message: text }),
      });
      await response.arrayBuffer();
      const answered = performance.now();
      const last = await arrived;
      if (i >= 5)
        sends.push({
          traceId,
          sent: epochMs(sent),
          answered: epochMs(answered),
          first: epochMs(crowd.firstAt(text) ?? last),
          last: epochMs(last),
        });
    }
  } finally {
    crowd.close();
    await api.stop(); // flushes the spans
  }

  // The floor, the same way: its publish is the handler's first act.
  const floor = await spawnReady(new URL("./floors/fanout.ts", import.meta.url), {});
  const floorCrowd = await openCrowd(() => `${floor.base.replace(/^http/, "ws")}/ws?topic=all`, 1000);
  const floorLast: number[] = [];
  const floorFirst: number[] = [];
  try {
    for (let i = 0; i < count + 5; i++) {
      const text = marker();
      const arrived = floorCrowd.allReceived(text, 1000, 10_000);
      const sent = performance.now();
      await (await fetch(`${floor.base}/publish?topic=all`, { method: "POST", body: JSON.stringify(floorEvent(text)) })).arrayBuffer();
      const last = await arrived;
      if (i >= 5) {
        floorLast.push(last - sent);
        floorFirst.push((floorCrowd.firstAt(text) ?? last) - sent);
      }
    }
  } finally {
    floorCrowd.close();
    await floor.stop();
  }

  const hops: Record<string, number[]> = {};
  const add = (hop: string, ms: number) => {
    const samples = hops[hop] ?? [];
    samples.push(ms);
    hops[hop] = samples;
  };
  for (const send of sends) {
    const mine = spans.filter((span) => span.traceId === send.traceId);
    const request = mine.find((span) => span.name.startsWith("POST"));
    const record = mine.find((span) => span.name === "recordActivity");
    const transaction = mine.find((span) => span.name === "db.transaction");
    const publish = spans.find((span) => span.name === "realtime.notified" && span.links.includes(send.traceId));
    if (!request || !record || !publish) continue;
    add("1 client send → request span starts (loopback, HTTP parse)", request.start - send.sent);
    add("2 request starts → recordActivity starts (middleware, auth, validation)", record.start - request.start);
    add("3 the write: one self-committing statement (record_activity)", (transaction ?? record).end - (transaction ?? record).start);
    add("4 commit answered → publish starts (the local hand-off)", publish.start - (transaction ?? record).end);
    add("5 publish: server.publish to 1,000 sockets", publish.end - publish.start);
    add("6 publish ends → first socket has it", send.first - publish.end);
    add("7 publish ends → last socket has it", send.last - publish.end);
    add("= send → last socket (what fanout1k measures)", send.last - send.sent);
    add("  send → the broadcast's response", send.answered - send.sent);
  }
  hops["floor: send → first socket"] = floorFirst;
  hops["floor: send → last socket"] = floorLast;
  console.log(
    `\n${count} broadcasts, one at a time, to 1,000 sockets of one organisation (${hops["= send → last socket (what fanout1k measures)"]?.length ?? 0} traced)\n`,
  );
  console.log(
    markdownTable(
      Object.entries(hops).map(([hop, ms]) => ({ hop, "p50 ms": round(percentile(ms, 50), 2), "p99 ms": round(percentile(ms, 99), 2) })),
    ),
  );
} finally {
  collector.stop(true);
  await dataset.drop();
}
