import type { HonoRequest } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-env.ts";
import { ForbiddenError } from "../lib/errors.ts";
import { roleSatisfies } from "../lib/roles.ts";
import type { Role } from "../lib/vocabulary.ts";
import { originOf } from "./client-ip.ts";

/** The token in `Authorization: Bearer <token>`, if there is one. */
export const bearerToken = (header: string | undefined): string | undefined => header?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];

export const BEARER_PROTOCOL = "bearer";

/** `Sec-WebSocket-Protocol: bearer, <token>` — the one way a browser socket can carry a credential outside the URL. */
export const protocolToken = (header: string | undefined): string | undefined => {
  const [protocol, token] = (header ?? "").split(",").map((part) => part.trim());
  return protocol === BEARER_PROTOCOL && token ? token : undefined;
};

/** Whatever access token a request presents: the Authorization header, or a socket's protocol header or `?token=`. */
export const presentedToken = (request: HonoRequest): string | undefined =>
  bearerToken(request.header("authorization")) ?? protocolToken(request.header("sec-websocket-protocol")) ?? request.query("token");

/** Puts the verified caller on `c.var.auth`, or answers 401. */
export const requireAuth = createMiddleware<AppEnv>(async (c, next) => {
  const auth = await c.var.services.auth.authenticate(bearerToken(c.req.header("authorization")));
  c.set("auth", { ...auth, origin: originOf(c) });
  await next();
});

/** 403 unless the caller's current role is at least `role`. Runs after requireAuth. */
export const requireRole = (role: Role) =>
  createMiddleware<AppEnv>(async (c, next) => {
    if (!roleSatisfies(c.var.auth.role, role)) throw new ForbiddenError(`This action requires the ${role} role`);
    await next();
  });

/** The per-address credential budget (RATE_LIMIT_AUTH_MAX), ahead of everything the route does. */
const credentialBudget = createMiddleware<AppEnv>((c, next) => c.var.credentialBudget(c, next));

/** Spread into a createRoute() that anyone may call and that checks a password or a token (no bearer token: `security: []`). */
export const checksCredentials = () => ({ security: [], middleware: [credentialBudget] });

/**
 * Spread into a createRoute(): the route needs a bearer token (documented in the spec and
 * enforced), and with `role`, at least that role. `checksCredentials` puts the credential
 * budget in front, for routes that also verify a password or a refresh token.
 */
export const signedIn = (role?: Role, options: { checksCredentials?: boolean } = {}) => ({
  security: [{ bearerAuth: [] }],
  middleware: [...(options.checksCredentials ? [credentialBudget] : []), requireAuth, ...(role ? [requireRole(role)] : [])],
});
