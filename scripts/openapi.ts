// `bun scripts/openapi.ts [file]`: the OpenAPI document exactly as /docs/spec serves it, from a
// real instance on an in-memory embedded database, written to `file` (default: stdout). CI lints
// it (Redocly) and the client package generates its types from it (scripts/client-types.ts).
import { writeFileSync } from "node:fs";
import { loadConfig } from "../src/config/env.ts";
import { createLogger } from "../src/lib/logger.ts";
import { startServer } from "../src/server.ts";

/** The document /docs/spec serves, from a throwaway instance. */
export async function currentOpenApiDocument(): Promise<Record<string, unknown>> {
  const { config } = loadConfig({ NODE_ENV: "test", PORT: "0", PGLITE_DATA_DIR: "memory://", LOG_LEVEL: "silent" });
  const server = await startServer({ config, logger: createLogger("silent") });
  try {
    return (await (await fetch(new URL("/docs/spec", server.url))).json()) as Record<string, unknown>;
  } finally {
    await server.stop();
  }
}

if (import.meta.main) {
  const document = `${JSON.stringify(await currentOpenApiDocument(), null, 2)}\n`;
  const file = process.argv[2];
  if (file) writeFileSync(file, document);
  else process.stdout.write(document);
}
