import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-env.ts";
import type { ClientOrigin } from "../lib/auth-context.ts";
import { clientAddress } from "../lib/client-address.ts";

/**
 * Puts the client's address on `c.get("clientIp")`, once per request, for the rate limits (and
 * anything else that must hold a client to an address). X-Forwarded-For counts only behind a
 * proxy we trust.
 */
export const clientIp = (trustProxy: boolean) =>
  createMiddleware<AppEnv>(async (c, next) => {
    c.set("clientIp", clientAddress(c.env?.requestIP(c.req.raw)?.address, c.req.header("x-forwarded-for"), trustProxy));
    await next();
  });

/** Where this request came from, for the session it opens. */
export const originOf = (c: Context<AppEnv>): ClientOrigin => ({
  requestId: c.get("requestId") ?? null,
  forwardedRequestId: c.get("forwardedRequestId") ?? null,
  ip: c.get("clientIp") ?? null,
  userAgent: c.req.header("user-agent")?.slice(0, 512) ?? null,
});
