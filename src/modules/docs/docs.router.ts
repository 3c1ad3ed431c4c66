import { swaggerUI } from "@hono/swagger-ui";
import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../../app-env.ts";
import { asyncApiDocument } from "./socket-messages.ts";
import { SWAGGER_ASSETS, SWAGGER_BODY, SWAGGER_INIT } from "./swagger-ui.ts";
import { WS_TESTER_PAGE, WS_TESTER_SCRIPT } from "./ws-tester.ts";

let asyncApi: ReturnType<typeof asyncApiDocument> | undefined;

/** The client SDK's browser bundle, built from packages/client on first use and kept in memory. */
let clientBundle: Promise<string> | undefined;
const buildClientBundle = async () => {
  const built = await Bun.build({
    entrypoints: [new URL("../../../packages/client/src/index.ts", import.meta.url).pathname],
    target: "browser",
    format: "esm",
    minify: true,
  });
  const [output] = built.outputs;
  if (!built.success || !output) throw new Error(`the client bundle did not build: ${built.logs.join("; ")}`);
  return output.text();
};

/**
 * The pages' policy: everything from this origin and nothing from anywhere else, so a page
 * cannot be made to load or send to a third party. Swagger UI sets inline styles, hence
 * 'unsafe-inline' for styles only; its icons are data: URIs.
 */
export const PAGE_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const page = (body: string, type: string) =>
  new Response(body, { headers: { "content-type": type, "content-security-policy": PAGE_POLICY, "cache-control": "no-cache" } });

/** The page policy on a response some other middleware builds (@hono/swagger-ui's). */
export const pagePolicy = createMiddleware(async (c, next) => {
  await next();
  c.res.headers.set("content-security-policy", PAGE_POLICY);
  c.res.headers.set("cache-control", "no-cache");
});

/** /docs (Swagger UI over /docs/spec) and /docs/ws (the realtime tester), all served locally. */
export const docsRouter = new Hono<AppEnv>()
  .get("/docs", pagePolicy, swaggerUI({ url: "/docs/spec", title: "SaaS backend API", manuallySwaggerUIHtml: () => SWAGGER_BODY }))
  .get("/docs/init.js", () => page(SWAGGER_INIT, "text/javascript; charset=utf-8"))
  .get("/docs/assets/:name", (c) => {
    const asset = SWAGGER_ASSETS[c.req.param("name")];
    if (!asset) return c.notFound();
    return new Response(Bun.file(asset.file), { headers: { "content-type": asset.type, "cache-control": "public, max-age=86400" } });
  })
  .get("/docs/ws", () => page(WS_TESTER_PAGE, "text/html; charset=utf-8"))
  .get("/docs/ws.js", () => page(WS_TESTER_SCRIPT, "text/javascript; charset=utf-8"))
  .get("/docs/client.js", async () => {
    if (!clientBundle) clientBundle = buildClientBundle();
    return page(await clientBundle, "text/javascript; charset=utf-8");
  })
  .get("/docs/asyncapi.json", (c) => {
    if (!asyncApi) asyncApi = asyncApiDocument();
    return c.json(asyncApi);
  });
