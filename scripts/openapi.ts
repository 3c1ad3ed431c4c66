// `bun scripts/openapi.ts [file]`: the OpenAPI document exactly as /docs/spec serves it, from a
// real instance on an in-memory embedded database, written to `file` (default: stdout). CI lints
// it (Redocly) and the client package generates its types from it.
import { writeFileSync } from "node:fs";
import { loadConfig } from "../src/config/env.ts";
import { createLogger } from "../src/lib/logger.ts";
import { startServer } from "../src/server.ts";

const { config } = loadConfig({ NODE_ENV: "test", PORT: "0", PGLITE_DATA_DIR: "memory://", LOG_LEVEL: "silent" });
const server = await startServer({ config, logger: createLogger("silent") });
try {
  const document = `${JSON.stringify(await (await fetch(new URL("/docs/spec", server.url))).json(), null, 2)}\n`;
  const file = process.argv[2];
  if (file) writeFileSync(file, document);
  else process.stdout.write(document);
} finally {
  await server.stop();
}
