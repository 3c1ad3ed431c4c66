// The outbox's promises, with transports that fail or dawdle on purpose: at least once, marked
// sent only after acceptance, retried with backoff for MAIL_RETRY_FOR, never sent twice at once by
// two senders, and no live link readable at rest.
import { describe, expect, test } from "bun:test";
import { eq, inArray, sql } from "drizzle-orm";
import { outbox } from "../src/db/schema/index.ts";
import { withSystem } from "../src/db/tenant.ts";
import { createLogger } from "../src/lib/logger.ts";
import {
  createOutbox,
  createOutboxSender,
  devMailbox,
  type MailTransport,
  type OutboxSender,
  outboxDepth,
  requeueSetAside,
} from "../src/modules/mail/index.ts";
import { testDatabase } from "./support/database.ts";
import { inDatabase } from "./support/db-state.ts";
import { uniqueEmail } from "./support/fixtures.ts";
import { startTestServer, TEST_SECRETS } from "./support/server.ts";

const silent = createLogger("silent");
const db = async () => (await testDatabase()).database.db;
const box = createOutbox(TEST_SECRETS.JWT_REFRESH_SECRET);

/** Queues one message per address, committed, with no sender running. */
async function queue(addresses: string[]) {
  await withSystem(await db(), async (tx) => {
    for (const to of addresses) await box.queue(tx, { to, subject: "Test", body: `Hello ${to}, here is https://example.com/secret-link` });
  });
}

const senderWith = async (transport: MailTransport, options?: Parameters<typeof createOutboxSender>[1]): Promise<OutboxSender> =>
  createOutboxSender({ db: await db(), outbox: box, transport, logger: silent, resolvers: {} }, options);

/** Makes only these addresses' mail due: anything else left over is pushed out of the way first. */
const onlyDue = (addresses: string[]) =>
  inDatabase((tx) =>
    tx.execute(
      sql`update outbox set next_attempt_at = now() + interval '1 hour' where recipient <> all(${`{${addresses.join(",")}}`}::text[]) and sent_at is null`,
    ),
  );

const rowsFor = async (addresses: string[]) =>
  inDatabase((tx) =>
    tx
      .select({
        to: outbox.recipient,
        sentAt: outbox.sentAt,
        attempts: outbox.attempts,
        failedAt: outbox.failedAt,
        next: outbox.nextAttemptAt,
        lastError: outbox.lastError,
      })
      .from(outbox)
      .where(inArray(outbox.recipient, addresses)),
  );

/** A transport that records what it accepted (only ours: other tests' leftovers are taken, not counted). */
function recording(ours: string[], { failFirst = 0, delayMs = 0 } = {}) {
  const accepted: string[] = [];
  let calls = 0;
  const transport: MailTransport = {
    name: "test",
    async send(mail) {
      calls++;
      if (delayMs) await Bun.sleep(delayMs);
      if (calls <= failFirst) throw new Error("550 mailbox unavailable (on purpose)");
      if (ours.includes(mail.to)) accepted.push(mail.to);
    },
    close() {},
  };
  return { transport, accepted };
}

describe("the outbox", () => {
  test("mail queued while no instance sends (as after a crash) leaves once a sender starts", async () => {
    const addresses = [uniqueEmail("queued"), uniqueEmail("queued")];
    await queue(addresses);
    expect((await rowsFor(addresses)).every((row) => row.sentAt === null)).toBe(true);
    const { transport, accepted } = recording(addresses);
    const sender = await senderWith(transport);
    await sender.flush();
    await sender.stop();
    expect(accepted.sort()).toEqual([...addresses].sort());
    expect((await rowsFor(addresses)).every((row) => row.sentAt instanceof Date && row.attempts === 1)).toBe(true);
  });

  test("a refused message stays unsent, is retried after a backoff, and is marked sent once accepted", async () => {
    const address = uniqueEmail("flaky");
    await queue([address]);
    const { transport, accepted } = recording([address], { failFirst: 1 });
    const sender = await senderWith(transport);
    await onlyDue([address]);
    await sender.flush();
    let [row] = await rowsFor([address]);
    expect(row).toMatchObject({ sentAt: null, attempts: 1, lastError: expect.stringContaining("550") });
    expect((row?.next.getTime() ?? 0) - Date.now()).toBeGreaterThan(500); // not due again at once
    await sender.flush();
    expect(accepted).toEqual([]);
    await inDatabase((tx) => tx.update(outbox).set({ nextAttemptAt: sql`now()` }).where(eq(outbox.recipient, address)));
    await sender.flush();
    await sender.stop();
    [row] = await rowsFor([address]);
    expect(row).toMatchObject({ attempts: 2, lastError: null });
    expect(row?.sentAt).toBeInstanceOf(Date);
    expect(accepted).toEqual([address]);
  });

  test("refusals are retried for MAIL_RETRY_FOR, with backoff capped at a few minutes; then the mail is set aside for an operator", async () => {
    const address = uniqueEmail("doomed");
    await queue([address]);
    await onlyDue([address]);
    const { transport } = recording([address], { failFirst: 100 });
    const sender = await senderWith(transport, { retryForSeconds: 3600, maxBackoffSeconds: 300 });
    // Eleven refusals in (the old give-up point was ten): still waiting, never more than 300 s apart.
    await inDatabase((tx) => tx.update(outbox).set({ attempts: 10 }).where(eq(outbox.recipient, address)));
    await sender.flush();
    let [row] = await rowsFor([address]);
    expect(row).toMatchObject({ failedAt: null, sentAt: null, attempts: 11 });
    expect((row?.next.getTime() ?? 0) - Date.now()).toBeLessThanOrEqual(300_000);
    // An hour after it was queued, the next refusal sets it aside.
    await inDatabase((tx) =>
      tx
        .update(outbox)
        .set({ nextAttemptAt: sql`now()`, queuedAt: sql`now() - interval '61 minutes'` })
        .where(eq(outbox.recipient, address)),
    );
    await sender.flush();
    await sender.stop();
    [row] = await rowsFor([address]);
    expect(row?.failedAt).toBeInstanceOf(Date);
    expect(row?.attempts).toBe(12);
  });

  test("an operator queues set-aside mail again, and it leaves; outbox_set_aside counts it meanwhile", async () => {
    const address = uniqueEmail("requeued");
    await queue([address]);
    await onlyDue([address]);
    const refusing = await senderWith(recording([address], { failFirst: 100 }).transport, { retryForSeconds: 0 });
    await refusing.flush();
    await refusing.stop();
    const [setAside] = await rowsFor([address]);
    expect(setAside?.failedAt).toBeInstanceOf(Date);
    expect((await outboxDepth(await db())).setAside).toBeGreaterThanOrEqual(1);
    const [{ id }] = (await inDatabase((tx) => tx.select({ id: outbox.id }).from(outbox).where(eq(outbox.recipient, address)))) as [
      { id: string },
    ];
    const { url } = await testDatabase();
    if (url) {
      const script = Bun.spawn(["bun", "scripts/mail-requeue.ts", id], { env: { ...process.env, DATABASE_URL: url }, stdout: "pipe" });
      expect(await new Response(script.stdout).text()).toContain("1 mail queued again");
      expect(await script.exited).toBe(0);
    } else {
      // The embedded database is this process's alone: no second process can open it.
      expect(await requeueSetAside(await db(), [id])).toBe(1);
    }
    const { transport, accepted } = recording([address]);
    const working = await senderWith(transport);
    await working.flush();
    await working.stop();
    expect(accepted).toEqual([address]);
    const [row] = await rowsFor([address]);
    expect(row).toMatchObject({ failedAt: null, lastError: null });
    expect(row?.sentAt).toBeInstanceOf(Date);
  });

  test("a waiting mail's body is sealed at rest, and cleared once sent", async () => {
    const address = uniqueEmail("sealed");
    await queue([address]);
    const bodyOf = async () =>
      (await inDatabase((tx) => tx.select({ body: outbox.body }).from(outbox).where(eq(outbox.recipient, address))))[0]?.body;
    const stored = await bodyOf();
    expect(stored).toStartWith("v1.");
    expect(stored).not.toContain("secret-link");
    expect(box.open(stored as string)).toContain("https://example.com/secret-link");
    const { transport, accepted } = recording([address]);
    const sender = await senderWith(transport);
    await sender.flush();
    await sender.stop();
    expect(accepted).toEqual([address]);
    expect(await bodyOf()).toBeNull();
  });

  test.if(!!process.env.DATABASE_URL)("two senders draining at once never send a message twice", async () => {
    const addresses = Array.from({ length: 30 }, () => uniqueEmail("batch"));
    await queue(addresses);
    const { url } = await testDatabase();
    // Each sender on its own pool, as two instances would be.
    const { createDatabase } = await import("../src/db/client.ts");
    const { loadConfig } = await import("../src/config/env.ts");
    const pools = await Promise.all([0, 1].map(() => createDatabase(loadConfig({ DATABASE_URL: url as string }).config, silent)));
    const runs = pools.map((pool) => {
      const { transport, accepted } = recording(addresses, { delayMs: 5 });
      return { sender: createOutboxSender({ db: pool.db, outbox: box, transport, logger: silent, resolvers: {} }), accepted };
    });
    await Promise.all(runs.map((run) => run.sender.flush()));
    await Promise.all(runs.map((run) => run.sender.stop()));
    await Promise.all(pools.map((pool) => pool.close()));
    const all = runs.flatMap((run) => run.accepted);
    expect(all.sort()).toEqual([...addresses].sort());
    expect(runs.every((run) => run.accepted.length > 0)).toBe(true); // both really took part
  });
  test.if(!!process.env.DATABASE_URL)(
    "a sender whose database connections die mid-send keeps its claim: no other sender sends the mail again",
    async () => {
      const address = uniqueEmail("leased");
      await queue([address]);
      await onlyDue([address]);
      const { url } = await testDatabase();
      const { createDatabase } = await import("../src/db/client.ts");
      const { loadConfig } = await import("../src/config/env.ts");
      const open = () => createDatabase(loadConfig({ DATABASE_URL: url as string }).config, silent);
      const sent: string[] = [];
      let sending = () => {};
      let release = () => {};
      const inFlight = new Promise<void>((resolve) => (sending = resolve));
      const hold = new Promise<void>((resolve) => (release = resolve));
      const slow: MailTransport = {
        name: "slow",
        async send(mail) {
          sending();
          await hold;
          sent.push(`A:${mail.to}`);
        },
        close() {},
      };
      const poolA = await open();
      const senderA = createOutboxSender({ db: poolA.db, outbox: box, transport: slow, logger: silent, resolvers: {} });
      const drainingA = senderA.flush();
      await inFlight;
      // Every connection but this test's own dies, as when the sender's host loses the database.
      await inDatabase((tx) =>
        tx.execute(
          sql`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`,
        ),
      );
      const poolB = await open();
      const { transport: fast, accepted } = recording([address]);
      const senderB = createOutboxSender({ db: poolB.db, outbox: box, transport: fast, logger: silent, resolvers: {} });
      await senderB.flush();
      expect(accepted).toEqual([]); // the claim A committed still holds
      release();
      await drainingA;
      await Promise.all([senderA.stop(), senderB.stop()]);
      await Promise.all([poolA.close(), poolB.close()]);
      expect(sent).toEqual([`A:${address}`]);
      const [row] = await rowsFor([address]);
      expect(row?.sentAt).toBeInstanceOf(Date);
    },
  );
  if (!process.env.DATABASE_URL) console.log("skipped: two concurrent senders need PostgreSQL (the embedded database is one connection)");
});

describe("the development mailbox", () => {
  test("without SMTP_URL, outside production, mail is kept and shown at /dev/mailbox (escaped)", async () => {
    const server = await startTestServer({ SMTP_URL: "" });
    try {
      const mailbox = server.mail.mailbox;
      expect(mailbox).toBeDefined();
      const register = await fetch(`${server.base}/api/auth/register`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          name: "Mo",
          email: uniqueEmail("mo"),
          password: "correct-horse-battery",
          organisationName: "<b>Bold</b> Org",
        }),
      });
      const { data } = (await register.json()) as { data: { accessToken: string } };
      const to = uniqueEmail("box");
      await fetch(`${server.base}/api/users/invite`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${data.accessToken}` },
        body: JSON.stringify({ email: to, role: "MEMBER" }),
      });
      await server.mail.sender?.flush();
      expect(mailbox?.messages().some((mail) => mail.to === to)).toBe(true);
      const page = await (await fetch(`${server.base}/dev/mailbox`)).text();
      expect(page).toContain(to);
      expect(page).toContain("&#60;b&#62;Bold&#60;/b&#62;");
      expect(page).not.toContain("<b>Bold</b>");
    } finally {
      await server.stop();
    }
  });

  test("in production there is no mailbox page", async () => {
    const server = await startTestServer({ NODE_ENV: "production", SMTP_URL: "" });
    try {
      expect(server.mail.mailbox).toBeUndefined();
      expect((await fetch(`${server.base}/dev/mailbox`)).status).toBe(404);
    } finally {
      await server.stop();
    }
  });

  test("the dev mailbox keeps the newest messages only", async () => {
    const mailbox = devMailbox(3);
    for (let i = 0; i < 5; i++) await mailbox.send({ id: String(i), to: `n${i}@example.com`, subject: "s", body: "b" });
    expect(mailbox.messages().map((mail) => mail.to)).toEqual(["n4@example.com", "n3@example.com", "n2@example.com"]);
  });
});
