// Under faults: the database taken away and given back through a relay the test controls.
// Nothing accepted is lost, an outage is a 503 a client can act on (never a 500 that looks like
// a bug), and a read whose connection was cut is tried again.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { encodeCursor } from "../src/lib/cursor.ts";
import { createLogger } from "../src/lib/logger.ts";
import { type Client, createClient, refusalOf } from "./support/client.ts";
import { testDatabase } from "./support/database.ts";
import { registerOrg } from "./support/fixtures.ts";
import { startRelay } from "./support/relay.ts";
import { startTestServer, type TestServer } from "./support/server.ts";
import { type SmtpReceiver, startSmtpReceiver } from "./support/smtp.ts";

const onServer = !!process.env.DATABASE_URL;
if (!onServer)
  console.log("skipped: the database-outage tests need a PostgreSQL server to put a relay in front of (the embedded one is in-process)");

describe.skipIf(!onServer)("the database going away", () => {
  let relay: Awaited<ReturnType<typeof startRelay>>;
  let smtp: SmtpReceiver;
  let server: TestServer;
  let api: Client;
  const lines: string[] = [];

  beforeAll(async () => {
    const { url } = await testDatabase();
    relay = await startRelay(new URL(url as string));
    smtp = await startSmtpReceiver();
    server = await startTestServer(
      { DATABASE_URL: relay.url(url as string), SMTP_URL: smtp.url, LOG_LEVEL: "info" },
      createLogger("info", (line) => lines.push(line)),
    );
    api = createClient(server.base);
  });
  afterAll(async () => {
    await relay.start().catch(() => {});
    await server?.stop();
    await smtp?.close();
  });

  /** Runs `during` while the database refuses every connection, then brings it back. */
  async function outage<T>(during: () => Promise<T>): Promise<T> {
    await relay.stop();
    try {
      return await during();
    } finally {
      await relay.start();
    }
  }

  test("forgot-password answers 503 with Retry-After while it cannot keep the request, never a 202 it would lose", async () => {
    const admin = await registerOrg(api);
    const refused = await outage(() => api.post("/api/auth/forgot-password", { body: { email: admin.email } }));
    refusalOf(503, refused, "DATABASE_UNAVAILABLE");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    // Back: the 202 means the request is safe, and its mail leaves.
    let accepted = await api.post("/api/auth/forgot-password", { body: { email: admin.email } });
    for (let tries = 0; accepted.status === 503 && tries < 50; tries++) {
      await Bun.sleep(100);
      accepted = await api.post("/api/auth/forgot-password", { body: { email: admin.email } });
    }
    expect(accepted.status).toBe(202);
    const mail = await smtp.mailTo(admin.email, (each) => each.subject.includes("Reset"), 10_000);
    expect(mail.body).toContain("/reset-password?token=");
  }, 30_000);

  test("an outage is a 503 DATABASE_UNAVAILABLE on reads and writes, logged as what it is, never a 500", async () => {
    const admin = await registerOrg(api);
    lines.length = 0;
    const answers = await outage(async () => [
      await api.get("/api/activities", { token: admin.accessToken }),
      await api.post("/api/organisations/broadcast", { token: admin.accessToken, body: { message: "into the void" } }),
      await api.post("/api/auth/login", { body: { email: admin.email, password: admin.password } }),
      await api.get("/ready"),
    ]);
    const [read, write, login, ready] = answers;
    for (const answer of [read, write, login]) refusalOf(503, answer as never, "DATABASE_UNAVAILABLE");
    expect(ready?.status).toBe(503);
    expect(lines.some((line) => line.includes('"msg":"database unavailable"'))).toBe(true);
    expect(lines.some((line) => line.includes("unhandled error"))).toBe(false);
  }, 30_000);

  test("a read whose connection was cut under it is tried again on a fresh one: the client never sees the cut", async () => {
    const admin = await registerOrg(api);
    // Reads no cache answers: the members page, and a feed page past the first.
    const reads = ["/api/users", `/api/activities?cursor=${encodeCursor("1000")}`];
    for (let round = 0; round < 6; round++) {
      const path = reads[round % reads.length] as string;
      expect((await api.get(path, { token: admin.accessToken })).status).toBe(200); // the pool holds connections
      relay.breakOnUse(); // every pooled connection dies on its next use; new ones are still accepted
      expect((await api.get(path, { token: admin.accessToken })).status, `round ${round}: ${path}`).toBe(200);
    }
  }, 30_000);
});

describe.skipIf(!onServer)("a graceful stop", () => {
  test("keeps what it accepted: a reset asked for just before the stop is mailed by the next instance", async () => {
    const smtp = await startSmtpReceiver();
    const first = await startTestServer({ SMTP_URL: "smtp://127.0.0.1:9" }); // a relay that is not there: nothing leaves
    try {
      const admin = await registerOrg(createClient(first.base));
      expect((await createClient(first.base).post("/api/auth/forgot-password", { body: { email: admin.email } })).status).toBe(202);
      await first.stop();
      const next = await startTestServer({ SMTP_URL: smtp.url });
      try {
        await next.mail.sender?.flush();
        const mail = await smtp.mailTo(admin.email, (each) => each.subject.includes("Reset"), 15_000);
        expect(mail.body).toContain("/reset-password?token=");
      } finally {
        await next.stop();
      }
    } finally {
      await first.stop();
      await smtp.close();
    }
  }, 30_000);
});
