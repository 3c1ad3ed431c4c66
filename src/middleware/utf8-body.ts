import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-env.ts";
import { fail } from "../lib/response.ts";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Refuses a JSON body that is not valid UTF-8 (400), instead of letting the parser turn each bad
 * byte into U+FFFD and storing text the client never sent. Hono keeps the bytes read here for
 * the validator, so the body is still read from the socket once.
 */
export const utf8Body = createMiddleware<AppEnv>(async (c, next) => {
  if (c.req.raw.body && c.req.header("content-type")?.toLowerCase().includes("json")) {
    // Read outside the try: a body over the size limit fails here, and that is bodyLimit's to answer.
    const bytes = await c.req.arrayBuffer();
    try {
      strictUtf8.decode(bytes);
    } catch {
      return fail(c, "MALFORMED_BODY", "Request body is not valid UTF-8");
    }
  }
  await next();
});
