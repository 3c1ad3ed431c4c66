import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/**
 * Swagger UI from the swagger-ui-dist package (its version pinned by bun.lock), served by this
 * app: /docs works with no internet, behind a strict firewall, and no third-party script runs on
 * a page where people paste tokens. Only the files the page loads are served, not the package.
 */
const distDir = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));

export const SWAGGER_ASSETS: Record<string, { file: string; type: string }> = {
  "swagger-ui.css": { file: join(distDir, "swagger-ui.css"), type: "text/css; charset=utf-8" },
  "swagger-ui-bundle.js": { file: join(distDir, "swagger-ui-bundle.js"), type: "text/javascript; charset=utf-8" },
  "favicon-32x32.png": { file: join(distDir, "favicon-32x32.png"), type: "image/png" },
};

/**
 * The page's body, for @hono/swagger-ui's own page around it (`manuallySwaggerUIHtml`): its
 * default loads the assets from a CDN and starts Swagger UI from an inline script, and this
 * page's policy allows neither. Here every file comes from this origin and the start-up script
 * is /docs/init.js.
 */
export const SWAGGER_BODY = `<link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>`;

/** validatorUrl: null, or Swagger UI would send the spec to validator.swagger.io. */
export const SWAGGER_INIT = `window.ui = SwaggerUIBundle({
  url: "/docs/spec",
  dom_id: "#swagger-ui",
  persistAuthorization: true,
  validatorUrl: null,
});
`;
