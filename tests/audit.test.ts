// The activity log as an audit log: who, from where, through which request; exported as NDJSON
// or CSV in constant memory; and kept only as long as ACTIVITY_RETENTION_DAYS says.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { queryRows } from "../src/db/sql.ts";
import { withSystem } from "../src/db/tenant.ts";
import { createLogger } from "../src/lib/logger.ts";
import { csvCell } from "../src/modules/activity/activity.export.ts";
import * as routes from "../src/modules/activity/activity.routes.ts";
import { createClient, parseWith, refusalOf } from "./support/client.ts";
import { testDatabase } from "./support/database.ts";
import { addMember, registerOrg, type Session, seedActivities } from "./support/fixtures.ts";
import { startTestServer, type TestServer, useTestServer } from "./support/server.ts";
import { connectSocket } from "./support/socket.ts";

const { api, server } = useTestServer();

const broadcast = (admin: Session, message: string, headers: Record<string, string> = {}) =>
  api.post("/api/organisations/broadcast", { token: admin.accessToken, body: { message }, headers });

async function exportText(admin: Session, query: string) {
  const response = await fetch(`${server().base}/api/activities/export?${query}`, {
    headers: { authorization: `Bearer ${admin.accessToken}` },
  });
  expect(response.status).toBe(200);
  return { text: await response.text(), headers: response.headers };
}

describe("audit context", () => {
  test("each activity keeps the request id, address and user agent of its request: ADMINs see them, members do not", async () => {
    const admin = await registerOrg(api);
    const member = await addMember(api, admin);
    const sent = await broadcast(admin, "with context", { "user-agent": "AuditBrowser/2.0", "x-request-id": "req-audit-0001" });
    // The server's own id, never the caller's: a client cannot write the audit log's request id.
    const ours = sent.headers.get("x-request-id");
    expect(ours).not.toBe("req-audit-0001");
    const asAdmin = parseWith(routes.listActivities, 200, await api.get("/api/activities?limit=1", { token: admin.accessToken })).data;
    expect(asAdmin[0]?.context).toEqual({
      requestId: ours,
      userAgent: "AuditBrowser/2.0",
      ip: expect.stringMatching(/127\.0\.0\.1|::1/),
      forwardedRequestId: null,
    });
    const asMember = parseWith(routes.listActivities, 200, await api.get("/api/activities?limit=1", { token: member.accessToken })).data;
    expect(asMember[0]?.message).toBe("with context");
    expect(asMember[0]?.context).toBeUndefined();
  });

  test("behind a trusted proxy, the caller's x-request-id is kept beside ours as forwardedRequestId, never instead of it", async () => {
    const proxied = await startTestServer({ TRUST_PROXY: "true" });
    try {
      const client = createClient(proxied.base);
      const admin = await registerOrg(client);
      const sent = await client.post("/api/organisations/broadcast", {
        token: admin.accessToken,
        body: { message: "through the proxy" },
        headers: { "x-request-id": "proxy-req-42" },
      });
      const ours = sent.headers.get("x-request-id");
      expect(ours).not.toBe("proxy-req-42");
      const [entry] = parseWith(routes.listActivities, 200, await client.get("/api/activities?limit=1", { token: admin.accessToken })).data;
      expect(entry?.context).toMatchObject({ requestId: ours, forwardedRequestId: "proxy-req-42" });
    } finally {
      await proxied.stop();
    }
  });
});

describe("export", () => {
  test("NDJSON: every activity once, in id order, with its context; filtered by type and time", async () => {
    const admin = await registerOrg(api);
    for (let i = 0; i < 3; i++) await broadcast(admin, `line ${i}`);
    await api.patch("/api/organisations/subscription", { token: admin.accessToken, body: { plan: "PRO" } });
    const { text, headers } = await exportText(admin, "format=ndjson");
    expect(headers.get("content-type")).toBe("application/x-ndjson");
    expect(headers.get("content-disposition")).toMatch(/attachment; filename="activities-.*\.ndjson"/);
    const lines = text
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    // A complete export ends with a line that says so, and how many activities it holds.
    expect(lines.at(-1)).toEqual({ endOfExport: true, count: 4 });
    const entries = lines.slice(0, -1);
    expect(entries.map((entry) => entry.id)).toEqual(["1", "2", "3", "4"]);
    expect(entries[0]).toMatchObject({ type: "BROADCAST_MESSAGE", message: "line 0", context: { requestId: expect.any(String) } });
    const upgrades = (await exportText(admin, "format=ndjson&type=PLAN_UPGRADED")).text.trim().split("\n");
    expect(upgrades).toHaveLength(2);
    const future = new Date(Date.now() + 60_000).toISOString();
    expect((await exportText(admin, `format=ndjson&from=${future}`)).text).toBe(`${JSON.stringify({ endOfExport: true, count: 0 })}\n`);
    expect((await exportText(admin, `format=ndjson&to=${future}`)).text.trim().split("\n")).toHaveLength(5);
  });

  test("CSV: a header, RFC 4180 quoting, and cells a spreadsheet would run as formulas neutralised", async () => {
    const admin = await registerOrg(api);
    await broadcast(admin, '=HYPERLINK("http://evil.example","click"), then "quotes"');
    await broadcast(admin, "@SUM(A1:A9)");
    const { text, headers } = await exportText(admin, "format=csv");
    expect(headers.get("content-type")).toBe("text/csv; charset=utf-8");
    const [header, first, second] = text.split("\r\n");
    expect(header).toBe(
      "id,createdAt,type,message,actorId,actorName,actorEmail,targetId,targetName,targetEmail,requestId,ip,userAgent,metadata,forwardedRequestId",
    );
    expect(first).toContain(`"'=HYPERLINK(""http://evil.example"",""click""), then ""quotes"""`);
    expect(second).toContain(",'@SUM(A1:A9),");
  });

  test.each([
    ["=1+1", "'=1+1"],
    ["+1", "'+1"],
    ["-1", "'-1"],
    ["@x", "'@x"],
    ["\t=x", "'\t=x"],
    ["plain", "plain"],
    ["a,b", '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ["two\nlines", '"two\nlines"'],
  ])("csvCell(%j) is %j", (value, expected) => {
    expect(csvCell(value)).toBe(expected);
  });

  test("100,000 activities stream out in constant memory", async () => {
    const admin = await registerOrg(api);
    await seedActivities(admin.organisation.id, 100_000);
    Bun.gc(true);
    const baseline = process.memoryUsage.rss();
    let peak = baseline;
    let lines = 0;
    let bytes = 0;
    const response = await fetch(`${server().base}/api/activities/export?format=ndjson`, {
      headers: { authorization: `Bearer ${admin.accessToken}` },
    });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    for (let chunks = 0; ; chunks++) {
      const { value, done } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      for (let at = value.indexOf(10); at !== -1; at = value.indexOf(10, at + 1)) lines++;
      // What the process holds, not the garbage it has yet to collect: server and client share it.
      if (chunks % 10 === 0) {
        Bun.gc(true);
        peak = Math.max(peak, process.memoryUsage.rss());
      }
    }
    expect(lines).toBe(100_001); // and the endOfExport line
    // The whole export is tens of megabytes; holding it (as text, then as a body) would cost
    // several times that. Streamed, the process grows by a small fraction of it.
    const growthMb = (peak - baseline) / 1024 / 1024;
    console.log(`export of ${(bytes / 1024 / 1024).toFixed(1)} MB: RSS grew ${growthMb.toFixed(1)} MB at most`);
    if (process.env.DATABASE_URL) expect(growthMb).toBeLessThan(bytes / 1024 / 1024 / 2);
    else
      console.log("not asserted on the embedded database: its WebAssembly heap, in this process, grows to fit the scan and never shrinks");
  }, 60_000);

  test("a year the database cannot hold (0000) is a 400 naming the parameter, before anything is streamed", async () => {
    const admin = await registerOrg(api);
    for (const query of ["from=0000-01-01T00:00:00.000Z", "to=0000-06-01T00:00:00.000Z"]) {
      const response = await api.get(`/api/activities/export?format=csv&${query}`, { token: admin.accessToken });
      expect(refusalOf(400, response, "INVALID_PARAMETER").errors?.map((error) => error.path)).toEqual([query.split("=")[0] as string]);
    }
  });

  test("a failure mid-stream is logged and cuts the response off: it never looks complete", async () => {
    const lines: string[] = [];
    const logged = await startTestServer(
      { LOG_LEVEL: "error" },
      createLogger("error", (line) => lines.push(line)),
    );
    const { db } = (await testDatabase()).database;
    try {
      const admin = await registerOrg(createClient(logged.base));
      // Far more than the sockets between server and client buffer, so the server is still reading
      // batches when the test breaks the database under it.
      await seedActivities(admin.organisation.id, 40_000);
      const response = await fetch(`${logged.base}/api/activities/export?format=ndjson`, {
        headers: { authorization: `Bearer ${admin.accessToken}` },
      });
      expect(response.status).toBe(200);
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      const first = await reader.read(); // the first batch was read before the answer
      expect(first.done).toBe(false);
      // The tenant role loses its grant: the next batch's statement fails.
      await db.execute(sql`revoke select on activities from app_tenant`);
      let received = new TextDecoder().decode(first.value);
      let failed = false;
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          received += new TextDecoder().decode(value);
        }
      } catch {
        failed = true;
      } finally {
        await db.execute(sql`grant select on activities to app_tenant`);
      }
      expect(failed || !received.includes('"endOfExport"')).toBe(true);
      expect(received).not.toContain('"endOfExport"');
      expect(lines.some((line) => line.includes("activity export failed mid-stream"))).toBe(true);
    } finally {
      await db.execute(sql`grant select on activities to app_tenant`);
      await logged.stop();
    }
  });
});

describe("retention", () => {
  let kept: TestServer;
  beforeAll(async () => {
    kept = await startTestServer({ ACTIVITY_RETENTION_DAYS: "30" });
  });
  afterAll(() => kept.stop());

  test("activities older than ACTIVITY_RETENTION_DAYS go, in batches; newer ones stay", async () => {
    const admin = await registerOrg(createClient(kept.base));
    await seedActivities(admin.organisation.id, 2_500, 45);
    await seedActivities(admin.organisation.id, 10, 1);
    await kept.retention?.purgeNow();
    const [counts] = await withSystem((await testDatabase()).database.db, (tx) =>
      queryRows<{ n: number }>(tx, sql`select count(*)::int as n from activities where organisation_id = ${admin.organisation.id}`),
    );
    expect(counts?.n).toBe(10);
  });

  test("a socket resuming from before what was kept is told its replay is truncated", async () => {
    const client = createClient(kept.base);
    const admin = await registerOrg(client);
    await seedActivities(admin.organisation.id, 5, 45);
    await seedActivities(admin.organisation.id, 3, 0);
    await kept.retention?.purgeNow();
    const socket = await connectSocket(kept.base, admin.accessToken, { since: "2" });
    const truncated = await socket.next((m) => m.type === "REPLAY_TRUNCATED");
    expect(truncated.payload).toEqual({ since: "2", oldestReplayedId: "6" });
    const replayed = await socket.collect("BROADCAST_MESSAGE", 3);
    expect(replayed.map((m) => m.id)).toEqual(["6", "7", "8"]);
    socket.close();
  });

  test.if(!!process.env.DATABASE_URL)("only one instance purges at a time", async () => {
    const other = await startTestServer({ ACTIVITY_RETENTION_DAYS: "30" });
    try {
      const admin = await registerOrg(createClient(kept.base));
      await seedActivities(admin.organisation.id, 20_000, 45);
      const outcomes = await Promise.all([kept.retention?.purgeNow(), other.retention?.purgeNow()]);
      expect(outcomes.filter((outcome) => outcome === null)).toHaveLength(1);
      expect(outcomes.find((outcome) => outcome !== null)).toBeGreaterThanOrEqual(20_000);
    } finally {
      await other.stop();
    }
  });
});
