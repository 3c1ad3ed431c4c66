// The client SDK's browser bundle in a real browser: Debian's Chromium driven by playwright-core.
// A page of the server's own origin imports the bundle the realtime tester serves
// (/docs/client.js), signs in and subscribes; the DevTools protocol then cuts the network, as a
// train tunnel or a closed laptop lid would, while events keep committing. Every one arrives,
// once, in order.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { chromiumAvailable, launchChromium } from "./support/chromium.ts";
import { addMember, PASSWORD, registerOrg, type Session } from "./support/fixtures.ts";
import { useTestServer } from "./support/server.ts";

const chromiumInstalled = chromiumAvailable("the client SDK's browser test");

/** What the page keeps of its connection, read back by the test. */
type Recorded = { delivered: string[]; states: string[]; closed: unknown[] };
/** The page's global object, as far as these tests use it (the suite is typed without the DOM). */
type PageGlobal = { location: { origin: string }; recorded: Recorded };

describe.skipIf(!chromiumInstalled)("the client SDK in Chromium", () => {
  const { api, server } = useTestServer();
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(() => browser?.close());

  /** Signs `session` in from the page with the bundle, and subscribes; resolves once the socket is up. */
  const subscribe = (page: Page, session: Session) =>
    page.evaluate(
      async ({ email, password }) => {
        const bundle = "/docs/client.js"; // the very file /docs/ws runs on
        const { createClient } = await import(bundle);
        const page = globalThis as unknown as PageGlobal;
        const client = createClient({ baseUrl: page.location.origin });
        const login = await client.auth.login({ email, password });
        if (login.error) throw new Error(JSON.stringify(login.error));
        const recorded: Recorded = { delivered: [], states: [], closed: [] };
        page.recorded = recorded;
        const connection = client.realtime.connect();
        connection.on("message", (message: { id: string }) => recorded.delivered.push(message.id));
        connection.on("state", (state: string) => recorded.states.push(state));
        connection.on("closed", (detail: unknown) => recorded.closed.push(detail));
        await new Promise((resolve) => connection.on("connected", resolve));
      },
      { email: session.email, password: PASSWORD },
    );

  const recorded = (page: Page) => page.evaluate(() => (globalThis as unknown as PageGlobal).recorded);

  async function until(page: Page, what: string, done: (seen: Recorded) => boolean, timeoutMs = 20_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const seen = await recorded(page);
      if (done(seen)) return seen;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(seen)}`);
      await Bun.sleep(100);
    }
  }

  test("the network cut for 10 s while events commit: every event arrives once, in order", async () => {
    const admin = await registerOrg(api);
    const member = await addMember(api, admin);
    const context = await browser.newContext();
    const page = await context.newPage();
    const problems: string[] = [];
    page.on("pageerror", (error) => problems.push(error.message));
    try {
      await page.goto(`${server().base}/docs/ws`);
      await subscribe(page, member);
      const broadcast = async (message: string) =>
        expect((await api.post("/api/organisations/broadcast", { token: admin.accessToken, body: { message } })).status).toBe(201);

      for (let i = 0; i < 3; i++) await broadcast(`online ${i}`);
      await until(page, "the first three", (seen) => seen.delivered.length >= 3);

      const cdp = await context.newCDPSession(page);
      await cdp.send("Network.enable");
      const network = (offline: boolean) =>
        cdp.send("Network.emulateNetworkConditions", { offline, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
      await network(true);
      const cutAt = Date.now();
      let sent = 3;
      while (Date.now() - cutAt < 10_000) {
        await broadcast(`offline ${sent++}`);
        await Bun.sleep(400);
      }
      // Nothing came through the cut: what was committed meanwhile is still to arrive.
      const during = await recorded(page);
      expect(during.delivered.length).toBe(3);
      expect(during.states).toContain("reconnecting");
      await network(false);
      for (let i = 0; i < 3; i++) await broadcast(`online again ${sent++}`);

      const seen = await until(page, "every event", (current) => current.delivered.length >= sent);
      await Bun.sleep(300);
      const ids = (await recorded(page)).delivered.map(Number);
      const first = ids[0] ?? 0;
      expect(ids).toEqual(Array.from({ length: sent }, (_, index) => first + index));
      expect(seen.states.at(-1)).toBe("open");
      expect(seen.closed).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);
});
