// A passkey in a real browser: Debian's Chromium, driven by playwright-core, with the DevTools
// protocol's virtual authenticator standing in for the platform's (a phone, Touch ID). The page
// registers a passkey and then signs in with it, against the real server, through the same
// WebAuthn JSON a front end sends (PublicKeyCredential.parse…FromJSON and toJSON()).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser } from "playwright-core";
import { chromiumAvailable, launchChromium } from "./support/chromium.ts";
import { registerOrg } from "./support/fixtures.ts";
import { useTestServer } from "./support/server.ts";

const chromiumInstalled = chromiumAvailable("the passkey browser test");

describe.skipIf(!chromiumInstalled)("a passkey in Chromium's virtual authenticator", () => {
  const { api, server } = useTestServer();
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(() => browser?.close());

  test("registers a passkey, then signs in with it alone", async () => {
    const admin = await registerOrg(api);
    const context = await browser.newContext();
    const page = await context.newPage();
    // WebAuthn needs a secure context and a domain for its RP id: http://localhost is both (the server's default public URL).
    const origin = server().base.replace("127.0.0.1", "localhost");
    await page.goto(`${origin}/docs`);

    const cdp = await context.newCDPSession(page);
    await cdp.send("WebAuthn.enable");
    const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
      options: {
        protocol: "ctap2",
        transport: "internal",
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });

    // The page's own code, as a front end would run it (a string: the test's TypeScript has no DOM types).
    const inPage = <T>(script: string, argument?: unknown) =>
      page.evaluate(`(${script})(${JSON.stringify(argument ?? null)})`) as Promise<T>;
    const CALL = `async (path, body, token) => {
      const response = await fetch(path, {
        method: "POST",
        headers: { "content-type": "application/json", ...(token ? { authorization: "Bearer " + token } : {}) },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: await response.json() };
    }`;
    type Answer = { status: number; body: { data: Record<string, any> } };

    const registered = await inPage<Answer>(
      `async (accessToken) => {
        const call = ${CALL};
        const options = await call("/api/auth/passkeys/register/options", {}, accessToken);
        const credential = await navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options.body.data) });
        return call("/api/auth/passkeys/register/verify", { ...credential.toJSON(), name: "Chromium" }, accessToken);
      }`,
      admin.accessToken,
    );
    expect(registered.status).toBe(201);
    expect(registered.body.data.name).toBe("Chromium");

    const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
    expect(credentials).toHaveLength(1);
    expect(credentials[0]?.isResidentCredential).toBe(true);

    const signedIn = await inPage<Answer>(
      `async () => {
        const call = ${CALL};
        const options = await call("/api/auth/passkeys/login/options", {});
        const assertion = await navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options.body.data) });
        return call("/api/auth/passkeys/login/verify", assertion.toJSON());
      }`,
    );
    expect(signedIn.status, JSON.stringify(signedIn.body)).toBe(200);
    expect(signedIn.body.data.user.id).toBe(admin.user.id);
    expect(signedIn.body.data.organisation.id).toBe(admin.organisation.id);

    const sessions = await api.get("/api/auth/sessions", { token: signedIn.body.data.accessToken });
    const current = (sessions.body as { data: { sessions: Array<{ current: boolean; method: string }> } }).data.sessions.find(
      (s) => s.current,
    );
    expect(current?.method).toBe("passkey");
    await context.close();
  }, 60_000);
});
