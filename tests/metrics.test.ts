// /metrics: where it is served (never unguarded on the public port), that its values move as
// requests, sockets and events happen, and that its label sets stay bounded.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomUUID } from "node:crypto";
import { createClient } from "./support/client.ts";
import { registerOrg } from "./support/fixtures.ts";
import { startTestServer, type TestServer } from "./support/server.ts";
import { connectSocket } from "./support/socket.ts";

const TOKEN = "metrics-token-that-is-long-enough";

/** The value of one series in a Prometheus text exposition (0 when absent). */
function seriesValue(text: string, series: string): number {
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}
const seriesCount = (text: string, metric: string) =>
  text.split("\n").filter((line) => line.startsWith(`${metric}{`) || line.startsWith(`${metric} `)).length;

describe("where /metrics is served", () => {
  test("without METRICS_PORT or METRICS_TOKEN it is nowhere", async () => {
    const server = await startTestServer();
    try {
      expect((await fetch(`${server.base}/metrics`)).status).toBe(404);
    } finally {
      await server.stop();
    }
  });

  test("with METRICS_TOKEN, on the main port for that bearer token only", async () => {
    const server = await startTestServer({ METRICS_TOKEN: TOKEN });
    try {
      expect((await fetch(`${server.base}/metrics`)).status).toBe(401);
      expect((await fetch(`${server.base}/metrics`, { headers: { authorization: "Bearer wrong-token-of-enough-length" } })).status).toBe(
        401,
      );
      const ok = await fetch(`${server.base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(ok.status).toBe(200);
      expect(ok.headers.get("content-type")).toContain("text/plain");
      expect(await ok.text()).toContain("http_request_duration_seconds");
    } finally {
      await server.stop();
    }
  });

  test("with METRICS_PORT, only there, even when a token is set too", async () => {
    const server = await startTestServer({ METRICS_PORT: "0", METRICS_TOKEN: TOKEN });
    try {
      expect((await fetch(`${server.base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
      const scrape = await fetch(`http://127.0.0.1:${server.metricsPort}/metrics`);
      expect(scrape.status).toBe(200);
      expect(await scrape.text()).toContain("listen_connected 1");
    } finally {
      await server.stop();
    }
  });
});

describe("what it says", () => {
  let server: TestServer;
  let admin: Awaited<ReturnType<typeof registerOrg>>;
  const scrape = async () => (await fetch(`${server.base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
  beforeAll(async () => {
    server = await startTestServer({ METRICS_TOKEN: TOKEN, RATE_LIMIT_AUTH_MAX: "3" });
    admin = await registerOrg(createClient(server.base));
  });
  afterAll(() => server.stop());

  test("requests by route template, method and status; sockets; events and deliveries; publish lag", async () => {
    const api = createClient(server.base);
    const before = await scrape();
    const route = 'http_request_duration_seconds_count{route="/api/organisations",method="GET",status="200"}';
    for (let i = 0; i < 3; i++) await api.get("/api/organisations", { token: admin.accessToken });
    const sockets = await Promise.all([0, 1].map(() => connectSocket(server.base, admin.accessToken)));
    await Promise.all(sockets.map((socket) => socket.next((m) => m.type === "CONNECTED")));
    await api.post("/api/organisations/broadcast", { token: admin.accessToken, body: { message: "counted" } });
    await Promise.all(sockets.map((socket) => socket.next((m) => m.type === "BROADCAST_MESSAGE")));
    const during = await scrape();
    expect(seriesValue(during, route) - seriesValue(before, route)).toBe(3);
    expect(seriesValue(during, "realtime_sockets_open") - seriesValue(before, "realtime_sockets_open")).toBe(2);
    expect(seriesValue(during, "realtime_events_published_total") - seriesValue(before, "realtime_events_published_total")).toBe(1);
    expect(seriesValue(during, "realtime_deliveries_total") - seriesValue(before, "realtime_deliveries_total")).toBe(2);
    expect(seriesValue(during, "realtime_publish_lag_seconds_count") - seriesValue(before, "realtime_publish_lag_seconds_count")).toBe(1);
    for (const socket of sockets) socket.close();
    await Promise.all(sockets.map((socket) => socket.closed()));
    await Bun.sleep(50);
    const after = await scrape();
    expect(seriesValue(after, "realtime_sockets_open")).toBe(seriesValue(before, "realtime_sockets_open"));
    expect(
      seriesValue(after, 'realtime_sockets_closed_total{code="1005"}') + seriesValue(after, 'realtime_sockets_closed_total{code="1000"}'),
    ).toBeGreaterThanOrEqual(2);
  });

  test("rate-limit rejections by budget, the database pool, LISTEN, the outbox and the process", async () => {
    const api = createClient(server.base);
    for (let i = 0; i < 5; i++)
      await api.post("/api/auth/login", { body: { email: `nobody-${i}@example.com`, password: "whatever-it-is" } });
    const text = await scrape();
    expect(seriesValue(text, 'rate_limit_rejections_total{budget="credentials"}')).toBeGreaterThanOrEqual(1);
    for (const series of [
      "db_pool_in_use",
      "db_pool_idle",
      "db_pool_waiting",
      "listen_connected",
      "listen_reconnects_total",
      "outbox_depth",
      "outbox_set_aside",
      "outbox_send_failures_total",
    ]) {
      expect(text, series).toMatch(new RegExp(`^${series} \\d`, "m"));
    }
    expect(seriesValue(text, "listen_connected")).toBe(1);
    expect(seriesValue(text, "process_resident_memory_bytes")).toBeGreaterThan(0);
    expect(text).toMatch(/^nodejs_eventloop_lag_p99_seconds \d/m);
  });

  test("1,000 distinct ids in paths add no series: labels are route templates", async () => {
    const api = createClient(server.base);
    await api.delete(`/api/users/${randomUUID()}`, { token: admin.accessToken });
    await api.get(`/nowhere/${randomUUID()}`);
    const before = seriesCount(await scrape(), "http_request_duration_seconds_bucket");
    for (let i = 0; i < 1000; i += 50) {
      await Promise.all(
        Array.from({ length: 50 }, (_, j) =>
          j % 2 ? api.delete(`/api/users/${randomUUID()}`, { token: admin.accessToken }) : api.get(`/nowhere/${randomUUID()}`),
        ),
      );
    }
    const after = await scrape();
    expect(seriesCount(after, "http_request_duration_seconds_bucket")).toBe(before);
    expect(after).toContain('route="/api/users/:id"');
    expect(after).not.toMatch(/\/api\/users\/[0-9a-f]{8}-/);
  });

  test("socket close codes a client sends are counted as other: only the server's own codes become series", async () => {
    const before = await scrape();
    for (const code of [4999, 4321, 3000, 4777]) {
      const socket = await connectSocket(server.base, admin.accessToken);
      await socket.next((m) => m.type === "CONNECTED");
      socket.closeWith(code);
      await socket.closed();
    }
    for (
      let waited = 0;
      waited < 2000 &&
      seriesValue(await scrape(), 'realtime_sockets_closed_total{code="other"}') <
        seriesValue(before, 'realtime_sockets_closed_total{code="other"}') + 4;
      waited += 50
    ) {
      await Bun.sleep(50);
    }
    const after = await scrape();
    expect(
      seriesValue(after, 'realtime_sockets_closed_total{code="other"}') -
        seriesValue(before, 'realtime_sockets_closed_total{code="other"}'),
    ).toBe(4);
    expect(after).not.toMatch(/code="(4999|4321|3000|4777)"/);
  });
});
