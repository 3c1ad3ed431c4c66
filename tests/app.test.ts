import { describe, expect, test } from "bun:test";
import { ERROR_CODES } from "../src/lib/error-codes.ts";
import { refusalOf } from "./support/client.ts";
import { snapshotDatabase } from "./support/db-state.ts";
import { PASSWORD, registerOrg, uniqueEmail } from "./support/fixtures.ts";
import { ALL_ROUTES, fetchSpec } from "./support/routes.ts";
import { startTestServer, useTestServer } from "./support/server.ts";

const { api, server } = useTestServer();

const validRegistration = () => ({ name: "Val", email: uniqueEmail("val"), password: PASSWORD, organisationName: "Valid Org" });

describe("envelope and plumbing", () => {
  test("a body that fails its schema: 422 with errors naming each field", async () => {
    const response = await api.post("/api/auth/register", { body: { ...validRegistration(), email: "not-an-email", password: "short" } });
    const refusal = refusalOf(422, response, "VALIDATION_FAILED");
    expect(refusal.message).toContain("email");
    const paths = (refusal.errors ?? []).map((error) => error.path);
    expect(paths).toContain("email");
    expect(paths).toContain("password");
  });

  test("malformed JSON: 400 in the envelope", async () => {
    const response = await api.post("/api/auth/login", { raw: '{"email": "a@b.co", ' });
    expect(refusalOf(400, response, "MALFORMED_BODY").message).toMatch(/JSON/);
  });

  test("a body that is not JSON at all: 415 naming the content type", async () => {
    const response = await api.post("/api/auth/login", { raw: "email=a", headers: { "content-type": "text/plain" } });
    expect(refusalOf(415, response, "UNSUPPORTED_MEDIA_TYPE").message).toMatch(/application\/json/);
  });

  // Bun's HTTP parser answers these itself, before any of our code runs, with an empty body:
  // there is no hook to put the envelope on it (README, "API"). This pins what clients get.
  test("a 64 KB URL or a 100 KB header: Bun's own 431, and the connection is closed", async () => {
    const longUrl = await fetch(`${server().base}/api/organisations?q=${"a".repeat(64 * 1024)}`);
    const bigHeader = await fetch(`${server().base}/api/organisations`, { headers: { "x-padding": "b".repeat(100 * 1024) } });
    for (const response of [longUrl, bigHeader]) {
      expect(response.status).toBe(431);
      expect(await response.text()).toBe("");
    }
    // Just under the parser's 16 KiB, the app answers in the envelope as usual.
    const near = await api.get(`/api/organisations?q=${"a".repeat(8 * 1024)}`);
    expect(near.status).toBe(401);
    expect(near.body).toMatchObject({ success: false, data: null });
  });

  test("a 2 MB body: 413, and nothing is written", async () => {
    const before = await snapshotDatabase();
    const response = await api.post("/api/auth/register", { body: { ...validRegistration(), name: "x".repeat(2 * 1024 * 1024) } });
    expect(refusalOf(413, response, "PAYLOAD_TOO_LARGE").message).toMatch(/larger than 100 KB/);
    expect(await snapshotDatabase()).toEqual(before);
  });

  test("a failed registration leaves no organisation or user behind", async () => {
    const existing = await registerOrg(api);
    const before = await snapshotDatabase();
    const invalid = await api.post("/api/auth/register", { body: { ...validRegistration(), organisationName: "" } });
    expect(invalid.status).toBe(422);
    const duplicate = await api.post("/api/auth/register", { body: { ...validRegistration(), email: existing.email } });
    expect(duplicate.status).toBe(409);
    expect(await snapshotDatabase()).toEqual(before);
  });

  test("unknown routes answer a JSON 404; every response carries x-request-id", async () => {
    const response = await api.get("/api/nothing-here");
    refusalOf(404, response, "NOT_FOUND");
    expect(response.headers.get("x-request-id")).toMatch(/\S+/);
  });

  test("every signed-in read answers with x-request-id, the rate-limit headers and the security headers", async () => {
    const admin = await registerOrg(api);
    for (const path of ["/api/organisations", "/api/activities?limit=5", "/api/users", "/api/users/invites", "/api/auth/me"]) {
      const response = await api.get(path, { token: admin.accessToken });
      expect(response.status, path).toBe(200);
      expect(response.headers.get("x-request-id"), path).toMatch(/\S+/);
      expect(response.headers.get("ratelimit-limit"), path).toMatch(/^\d+$/);
      expect(response.headers.get("x-content-type-options"), path).toBe("nosniff");
      expect(response.headers.get("content-type"), path).toMatch(/^application\/json/);
    }
  });

  test("every request gets the server's own id, whatever x-request-id the caller sends", async () => {
    const first = await api.get("/health", { headers: { "x-request-id": "trace-abc-123" } });
    const second = await api.get("/health", { headers: { "x-request-id": "trace-abc-123" } });
    const ids = [first.headers.get("x-request-id"), second.headers.get("x-request-id")];
    expect(ids).not.toContain("trace-abc-123");
    expect(ids[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(ids[0]).not.toBe(ids[1]);
  });

  test("GET / sends a browser to the documentation", async () => {
    const response = await fetch(`${server().base}/`, { redirect: "manual" });
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("/docs");
  });

  test("/health and /ready answer", async () => {
    expect((await api.get("/health")).body).toMatchObject({ success: true, data: { status: "ok" } });
    expect((await api.get("/ready")).body).toMatchObject({ success: true, data: { status: "ready" } });
  });
});

describe("CORS", () => {
  test("closed unless configured: no CORS headers for any origin", async () => {
    const response = await fetch(`${server().base}/health`, { headers: { origin: "https://evil.example" } });
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });

  test("a configured origin may call the API and read its headers; others may not", async () => {
    const allowed = await startTestServer({ CORS_ORIGINS: "https://app.example.com" });
    try {
      const preflight = await fetch(`${allowed.base}/api/auth/login`, {
        method: "OPTIONS",
        headers: {
          origin: "https://app.example.com",
          "access-control-request-method": "POST",
          "access-control-request-headers": "content-type",
        },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
      const simple = await fetch(`${allowed.base}/health`, { headers: { origin: "https://app.example.com" } });
      expect(simple.headers.get("access-control-expose-headers")).toContain("x-request-id");
      const other = await fetch(`${allowed.base}/health`, { headers: { origin: "https://evil.example" } });
      expect(other.headers.get("access-control-allow-origin")).toBeNull();
    } finally {
      await allowed.stop();
    }
  });
});

describe("documentation", () => {
  test("/docs serves Swagger UI from this origin only, pointed at /docs/spec", async () => {
    const response = await fetch(`${server().base}/docs`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(response.headers.get("content-security-policy")).toContain("script-src 'self'");
    const html = await response.text();
    const loaded = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1] as string);
    expect(loaded.length).toBeGreaterThan(2);
    for (const path of loaded) {
      expect(path).toStartWith("/docs/");
      expect((await fetch(`${server().base}${path}`)).status).toBe(200);
    }
    const init = await (await fetch(`${server().base}/docs/init.js`)).text();
    expect(init).toContain('url: "/docs/spec"');
    expect(init).toContain("validatorUrl: null");
    expect((await fetch(`${server().base}/docs/assets/package.json`)).status).toBe(404);
  });

  test("/docs/ws serves the realtime tester, linked from the API description", async () => {
    const page = await fetch(`${server().base}/docs/ws`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(await page.text()).toContain('<script type="module" src="/docs/ws.js">');
    // The page runs the client SDK's browser bundle, not a socket loop of its own.
    const script = await (await fetch(`${server().base}/docs/ws.js`)).text();
    expect(script).toContain('from "/docs/client.js"');
    expect(script).not.toContain("new WebSocket");
    const bundle = await fetch(`${server().base}/docs/client.js`);
    expect(bundle.headers.get("content-type")).toContain("javascript");
    expect(await bundle.text()).toContain("bearer");
    const spec = await fetchSpec(api);
    expect(spec.info.description).toContain("/docs/ws");
  });

  test("/docs/spec declares bearer auth and documents every operation fully", async () => {
    const spec = await fetchSpec(api);
    expect(spec.openapi).toMatch(/^3\.1/);
    expect(spec.components?.securitySchemes?.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
    const operations = Object.entries(spec.paths ?? {}).flatMap(([path, methods]) =>
      Object.entries(methods as Record<string, any>).map(([method, operation]) => ({ path, method, operation })),
    );
    // Exactly the routes the modules define: none missing from the app, none documented twice.
    expect(operations.map(({ method, path }) => `${method.toUpperCase()} ${path}`).sort()).toEqual(
      ALL_ROUTES.map((route) => `${route.method.toUpperCase()} ${route.path}`).sort(),
    );
    const operationIds = new Set<string>();
    for (const { path, method, operation } of operations) {
      const where = `${method.toUpperCase()} ${path}`;
      expect(operation.operationId, where).toBeString();
      expect(operation.tags?.length, where).toBeGreaterThan(0);
      expect(operation.summary, where).toBeString();
      operationIds.add(operation.operationId);
      const [status, success] = Object.entries(operation.responses).find(([code]) => Number(code) < 300) as [string, any];
      // JSON, except for the upgrade (101) and the export, which streams NDJSON or CSV.
      if (status !== "101")
        expect(
          Object.values(success?.content ?? {}).some((media: any) => media?.schema),
          where,
        ).toBe(true);
      if (status !== "101" && !path.endsWith("/export") && !path.endsWith("/data-export"))
        expect(success?.content?.["application/json"]?.schema, where).toBeDefined();
      // Every route that reads a body documents it (and POST /api/organisations/leave reads none).
      const defined = ALL_ROUTES.find((route) => route.method === method && route.path === path);
      if (defined?.request?.body) {
        expect(operation.requestBody?.content?.["application/json"]?.schema, where).toBeDefined();
        // A body that is not JSON is refused with 415 (tested above), and said so here.
        expect(operation.responses["415"]?.content?.["application/json"]?.schema?.$ref, where).toBe("#/components/schemas/Error");
      } else expect(operation.requestBody, where).toBeUndefined();
      if (path.startsWith("/api/")) {
        const errorStatuses = Object.keys(operation.responses).filter((status) => Number(status) >= 400);
        expect(errorStatuses.length, where).toBeGreaterThan(0);
      }
    }
    expect(operationIds.size).toBe(operations.length);
  });

  test("/docs/spec lists every error code as an enum on the error envelope, which requires code and requestId", async () => {
    const spec = await fetchSpec(api);
    const schemas = spec.components?.schemas as Record<string, any>;
    expect(schemas.ErrorCode?.enum).toEqual(Object.keys(ERROR_CODES));
    expect(schemas.Error?.properties?.code?.$ref).toBe("#/components/schemas/ErrorCode");
    expect(schemas.Error?.required).toEqual(expect.arrayContaining(["success", "code", "message", "data", "requestId"]));
  });
});

test("the README lists every error code", async () => {
  const readme = await Bun.file(new URL("../README.md", import.meta.url)).text();
  for (const code of Object.keys(ERROR_CODES)) expect(readme, code).toContain(`\`${code}\``);
});

test("docs/configuration.md and .env.example list every setting", async () => {
  const { CONFIG_KEYS } = await import("../src/config/env.ts");
  const documentation = await Bun.file(new URL("../docs/configuration.md", import.meta.url)).text();
  const example = await Bun.file(new URL("../.env.example", import.meta.url)).text();
  for (const key of CONFIG_KEYS) {
    expect(documentation, key).toContain(`\`${key}\``);
    expect(example, key).toMatch(new RegExp(`^${key}=`, "m"));
  }
});
