// OpenTelemetry: one request produces linked spans — the HTTP request (route template, status),
// its database transaction, recordActivity, and the NOTIFY → publish hop on the instance that
// hears it — and the trace id reaches the log line and the caller. The SDK's in-memory exporter
// stands in for OTLP.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { InMemorySpanExporter, type ReadableSpan } from "@opentelemetry/sdk-trace";
import { createLogger } from "../src/lib/logger.ts";
import { createClient } from "./support/client.ts";
import { registerOrg } from "./support/fixtures.ts";
import { startTestServer, type TestServer } from "./support/server.ts";
import { connectSocket } from "./support/socket.ts";

const exporter = new InMemorySpanExporter();
const lines: string[] = [];
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer(
    { LOG_LEVEL: "info" },
    createLogger("info", (line) => lines.push(line)),
    { spanExporter: exporter },
  );
});
afterAll(() => server.stop());

const INCOMING_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const INCOMING_SPAN = "00f067aa0ba902b7";

test("a broadcast is one trace: request → transaction → recordActivity, and the publish that hears it links back", async () => {
  const api = createClient(server.base);
  const admin = await registerOrg(api);
  const socket = await connectSocket(server.base, admin.accessToken);
  await socket.next((m) => m.type === "CONNECTED");
  exporter.reset();

  const response = await api.post("/api/organisations/broadcast", {
    token: admin.accessToken,
    body: { message: "traced" },
    headers: { traceparent: `00-${INCOMING_TRACE}-${INCOMING_SPAN}-01` },
  });
  expect(response.status).toBe(201);
  await socket.next((m) => m.type === "BROADCAST_MESSAGE");
  socket.close();
  await Bun.sleep(50);

  // The caller's trace is honoured, and handed back.
  expect(response.headers.get("traceparent")).toMatch(new RegExp(`^00-${INCOMING_TRACE}-[0-9a-f]{16}-01$`));
  const spans = exporter.getFinishedSpans();
  const inTrace = spans.filter((span) => span.spanContext().traceId === INCOMING_TRACE);
  const named = (name: string) => inTrace.find((span) => span.name === name);
  const parentOf = (span: ReadableSpan | undefined) => span?.parentSpanContext?.spanId;

  const request = named("POST /api/organisations/broadcast");
  expect(request?.attributes).toMatchObject({ "http.route": "/api/organisations/broadcast", "http.response.status_code": 201 });
  expect(parentOf(request)).toBe(INCOMING_SPAN);

  const recorded = named("recordActivity");
  expect(recorded?.attributes).toMatchObject({ "activity.type": "BROADCAST_MESSAGE" });
  const transaction = inTrace.find((span) => span.name === "db.transaction" && parentOf(span) === recorded?.spanContext().spanId);
  expect(transaction?.attributes).toMatchObject({ "db.scope": "organisation" });
  // recordActivity hangs under the request (through any middleware spans in between).
  const ancestry = (span: ReadableSpan | undefined): string[] => {
    const parent = inTrace.find((candidate) => candidate.spanContext().spanId === parentOf(span));
    return parent ? [parent.name, ...ancestry(parent)] : [];
  };
  expect(ancestry(recorded)).toContain("POST /api/organisations/broadcast");

  // The NOTIFY → publish hop runs in the LISTEN handler, in a trace of its own, linked to the
  // recordActivity span whose transaction sent the notification.
  const hop = spans.find((span) => span.name === "realtime.notified" && span.links.some((link) => link.context.traceId === INCOMING_TRACE));
  expect(hop?.links[0]?.context.spanId).toBe(recorded?.spanContext().spanId);

  // The trace id is in the request's log line.
  const logged = lines
    .map((line) => JSON.parse(line))
    .find((entry) => entry.msg === "request" && entry.path === "/api/organisations/broadcast");
  expect(logged?.traceId).toBe(INCOMING_TRACE);
});

test("without an incoming traceparent, a request starts a trace of its own and says which", async () => {
  const response = await fetch(`${server.base}/health`);
  expect(response.headers.get("traceparent")).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
});
