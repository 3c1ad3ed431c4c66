// The pages a developer meets first, in a real browser: Debian's Chromium driven by
// playwright-core. Every request a page makes is recorded, and any to another host is aborted:
// /docs must work with the network unplugged. Screenshots go to tests/artifacts/ (git-ignored).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { chromiumAvailable, launchChromium } from "./support/chromium.ts";
import { addMember, registerOrg } from "./support/fixtures.ts";
import { fetchSpec } from "./support/routes.ts";
import { useTestServer } from "./support/server.ts";

const ARTIFACTS = join(import.meta.dir, "artifacts");
const chromiumInstalled = chromiumAvailable("the browser tests");

describe.skipIf(!chromiumInstalled)("in a browser", () => {
  const { api, server } = useTestServer();
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  afterAll(() => browser?.close());

  /** A page in a fresh profile; `elsewhere` lists every request it tried to make off this server. */
  async function openPage() {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const { port } = new URL(server().base);
    const ours = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
    const elsewhere: string[] = [];
    await context.route(
      (url) => url.protocol !== "data:" && !ours.has(url.host),
      (route) => {
        elsewhere.push(route.request().url());
        return route.abort();
      },
    );
    const page = await context.newPage();
    const problems: string[] = [];
    page.on("pageerror", (error) => problems.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(message.text());
    });
    return { page, elsewhere, problems, close: () => context.close() };
  }

  test("/docs renders every operation, and no request leaves the machine", async () => {
    const spec = await fetchSpec(api);
    const operations = Object.values(spec.paths ?? {}).flatMap((item) =>
      Object.keys(item ?? {}).filter((key) => ["get", "post", "put", "patch", "delete"].includes(key)),
    ).length;
    const { page, elsewhere, problems, close } = await openPage();
    try {
      await page.goto(`${server().base}/docs`);
      await page.locator(".opblock").first().waitFor({ timeout: 15_000 });
      await expect(page.locator(".opblock").count()).resolves.toBe(operations);
      await page.screenshot({ path: join(ARTIFACTS, "docs.png"), fullPage: true });
      expect(elsewhere).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await close();
    }
  }, 30_000);

  test("Authorize with a fresh token, then Try it out on GET /api/organisations: 200 with the organisation", async () => {
    const admin = await registerOrg(api, { organisationName: "Browser Org" });
    const { page, elsewhere, close } = await openPage();
    try {
      await page.goto(`${server().base}/docs`);
      await page.locator("button.authorize").first().click();
      await page.locator(".modal-ux-content input").fill(admin.accessToken);
      await page.locator(".modal-ux-content button.authorize").click();
      await page.locator(".modal-ux-content button.btn-done").click();

      const operation = page.locator(".opblock-get", { has: page.locator('.opblock-summary-path[data-path="/api/organisations"]') });
      await operation.locator(".opblock-summary").click();
      await operation.locator("button.try-out__btn").click();
      await operation.locator("button.execute").click();
      const status = operation.locator(".live-responses-table .response .response-col_status");
      await status.waitFor({ timeout: 10_000 });
      expect((await status.textContent())?.trim()).toStartWith("200");
      expect(await operation.locator(".live-responses-table").textContent()).toContain("Browser Org");
      await status.scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(ARTIFACTS, "docs-try-it-out.png") });
      expect(elsewhere).toEqual([]);
    } finally {
      await close();
    }
  }, 30_000);

  test("/docs/ws shows a broadcast sent through the API, then the close code when the member is removed", async () => {
    const admin = await registerOrg(api);
    const member = await addMember(api, admin);
    const { page, elsewhere, problems, close } = await openPage();
    try {
      await page.goto(`${server().base}/docs/ws`);
      await page.locator("#token").fill(member.accessToken);
      await page.locator("#connect").click();
      await page.locator(".entry .type", { hasText: "CONNECTED" }).waitFor({ timeout: 10_000 });

      const message = "Deploy at five, from the browser test";
      expect((await api.post("/api/organisations/broadcast", { token: admin.accessToken, body: { message } })).status).toBe(201);
      const broadcast = page.locator(".entry", { has: page.locator(".type", { hasText: "BROADCAST_MESSAGE" }) });
      await broadcast.waitFor({ timeout: 10_000 });
      expect(await broadcast.textContent()).toContain(message);

      expect((await api.delete(`/api/users/${member.user.id}`, { token: admin.accessToken })).status).toBe(200);
      await page.locator("#status", { hasText: "closed (4003" }).waitFor({ timeout: 10_000 });
      await page.screenshot({ path: join(ARTIFACTS, "ws-tester.png"), fullPage: true });
      expect(elsewhere).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await close();
    }
  }, 30_000);

  /** The link the development mailbox holds for `to`, the way its recipient would open it. */
  async function emailedLink(to: string, path: string) {
    await server().mail.sender?.flush();
    const body =
      server()
        .mail.mailbox?.messages()
        .find((mail) => mail.to === to && mail.body.includes(path))?.body ?? "";
    const link = new RegExp(`https?://\\S+${path}\\?token=\\S+`).exec(body)?.[0];
    if (!link) throw new Error(`no ${path} link mailed to ${to}`);
    return link;
  }

  test("an invitation accepted by clicking its emailed link: the page joins through the API, and the token leaves the address bar", async () => {
    const admin = await registerOrg(api);
    const email = `clicker-${Date.now()}@example.com`;
    expect((await api.post("/api/users/invite", { token: admin.accessToken, body: { email, role: "MEMBER" } })).status).toBe(201);
    const link = await emailedLink(email, "/accept-invite");
    expect(new URL(link).origin).toBe(`http://localhost:${new URL(server().base).port}`); // APP_URL unset: the server's own pages
    const { page, elsewhere, problems, close } = await openPage();
    try {
      await page.goto(link);
      expect(page.url()).not.toContain("token=");
      await page.getByLabel("Your name").fill("Clicky McClickface");
      await page.getByLabel("Password").fill("a-password-by-click");
      await page.getByRole("button", { name: "Join" }).click();
      await page
        .getByRole("status")
        .filter({ hasText: `You have joined ${admin.organisation.name}` })
        .waitFor({ timeout: 10_000 });
      await page.screenshot({ path: join(ARTIFACTS, "accept-invite.png"), fullPage: true });
      const login = await api.post("/api/auth/login", { body: { email, password: "a-password-by-click" } });
      expect(login.status).toBe(200);
      expect(elsewhere).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await close();
    }
  }, 30_000);

  test("a password reset by clicking its emailed link: the new password works, the old one does not", async () => {
    const admin = await registerOrg(api);
    expect((await api.post("/api/auth/forgot-password", { body: { email: admin.email } })).status).toBe(202);
    const link = await emailedLink(admin.email, "/reset-password");
    const { page, elsewhere, problems, close } = await openPage();
    try {
      await page.goto(link);
      expect(page.url()).not.toContain("token=");
      await page.getByLabel("New password").fill("the-clicked-password");
      await page.getByLabel("The same again").fill("the-clicked-password");
      await page.getByRole("button", { name: "Set the new password" }).click();
      await page.getByRole("status").filter({ hasText: "Your password is changed" }).waitFor({ timeout: 10_000 });
      await page.screenshot({ path: join(ARTIFACTS, "reset-password.png"), fullPage: true });
      expect((await api.post("/api/auth/login", { body: { email: admin.email, password: "the-clicked-password" } })).status).toBe(200);
      expect((await api.post("/api/auth/login", { body: { email: admin.email, password: admin.password } })).status).toBe(401);
      expect(elsewhere).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await close();
    }
  }, 30_000);
});
