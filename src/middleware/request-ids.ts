import { createMiddleware } from "hono/factory";
import { requestId } from "hono/request-id";
import type { AppEnv } from "../app-env.ts";

const generate = requestId({ headerName: "" });
const WELL_FORMED = /^[\w\-=]{1,255}$/;

/**
 * Every request gets an id of our own (`c.get("requestId")`, the x-request-id response header, the
 * audit log's `requestId`): an id a client chose could be made to collide with, or to stand in
 * for, another request's in the audit trail. Behind a proxy we trust (TRUST_PROXY), the caller's
 * X-Request-Id is kept beside it as `forwardedRequestId`, for correlating with the proxy's logs.
 */
export const requestIds = (trustProxy: boolean) =>
  createMiddleware<AppEnv>(async (c, next) =>
    generate(c, async () => {
      c.header("x-request-id", c.get("requestId"));
      const forwarded = trustProxy ? c.req.header("x-request-id") : undefined;
      if (forwarded && WELL_FORMED.test(forwarded)) c.set("forwardedRequestId", forwarded);
      await next();
    }),
  );
