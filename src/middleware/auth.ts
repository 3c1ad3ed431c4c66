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

/**
 * Puts the verified caller on `c.get("account")` (any live session, in an organisation or none), or
 * answers 401. A session narrowed by its organisation's second-factor requirement gets 403
 * TWO_FACTOR_REQUIRED here, unless the route is one that sets a factor up.
 */
const requireAccount = (whileSecondFactorMissing: boolean) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const account = await c.get("services").auth.authenticate(bearerToken(c.req.header("authorization")));
    if (account.disabled) throw new ForbiddenError("This account has been disabled by the platform's operators", "ACCOUNT_DISABLED");
    if (account.secondFactorMissing && !whileSecondFactorMissing) {
      throw new ForbiddenError(
        "This organisation requires a second factor: set up an authenticator app (POST /api/auth/2fa/setup) or a passkey, then sign in again",
        "TWO_FACTOR_REQUIRED",
      );
    }
    c.set("account", { ...account, origin: originOf(c) });
    await next();
  });
const requireAnyAccount = requireAccount(true);
const requireUnnarrowedAccount = requireAccount(false);

/** After requireAccount: the caller as a member of their session's organisation on `c.get("auth")`, or 403 NO_ORGANISATION. */
const requireMembership = createMiddleware<AppEnv>(async (c, next) => {
  const account = c.get("account");
  if (account.orgId === null || account.role === null) {
    throw new ForbiddenError(
      "This session belongs to no organisation: create one, accept an invitation, or switch to one",
      "NO_ORGANISATION",
    );
  }
  if (account.suspended) {
    throw new ForbiddenError(
      "This organisation has been suspended by the platform's operators; its data is untouched",
      "ORGANISATION_SUSPENDED",
    );
  }
  c.set("auth", { ...account, orgId: account.orgId, role: account.role });
  await next();
});

/** 403 unless the caller's current role is at least `role`. Runs after requireAuth. */
export const requireRole = (role: Role) =>
  createMiddleware<AppEnv>(async (c, next) => {
    if (!roleSatisfies(c.get("auth").role, role)) throw new ForbiddenError(`This action requires the ${role} role`);
    await next();
  });

/** The per-address credential budget (RATE_LIMIT_AUTH_MAX), ahead of everything the route does. */
const credentialBudget = createMiddleware<AppEnv>((c, next) => c.get("credentialBudget")(c, next));

/** Spread into a createRoute() that anyone may call and that checks a password or a token (no bearer token: `security: []`). */
export const checksCredentials = () => ({ security: [], middleware: [credentialBudget] });

type SignedInOptions = {
  /** Also under the per-address credential budget: the route verifies a password or a refresh token. */
  checksCredentials?: boolean;
  /** A session of no organisation may call it too (`c.get("account")`): the account's own routes. */
  anyOrganisation?: boolean;
  /** With EMAIL_VERIFICATION=required, only once the caller's email is verified (403 EMAIL_NOT_VERIFIED). */
  verifiedEmail?: boolean;
  /** Also for a session narrowed to setting up a second factor (the factor routes, who-am-I, signing out). */
  whileSecondFactorMissing?: boolean;
};

const requireVerifiedEmail = createMiddleware<AppEnv>(async (c, next) => {
  await c.get("services").emailVerification.requireVerified(c.get("account"));
  await next();
});

/**
 * Spread into a createRoute(): the route needs a bearer token (documented in the spec and
 * enforced) of a member of the session's organisation (`c.get("auth")`), and with `role`, at least
 * that role; with `anyOrganisation`, any live session will do (`c.get("account")`).
 */
export const signedIn = (
  role?: Role,
  { checksCredentials = false, anyOrganisation = false, verifiedEmail = false, whileSecondFactorMissing = false }: SignedInOptions = {},
) => ({
  security: [{ bearerAuth: [] }],
  middleware: [
    ...(checksCredentials ? [credentialBudget] : []),
    whileSecondFactorMissing ? requireAnyAccount : requireUnnarrowedAccount,
    ...(anyOrganisation ? [] : [requireMembership]),
    ...(role ? [requireRole(role)] : []),
    ...(verifiedEmail ? [requireVerifiedEmail] : []),
  ],
});

const requireOperator = createMiddleware<AppEnv>(async (c, next) => {
  c.set("operator", await c.get("services").admin.operatorOf(c.get("account")));
  await next();
});

/**
 * Spread into a createRoute() of /api/admin: a platform operator (bun run admin:grant), in a
 * session signed in with a second factor. A tenant ADMIN is a 403 like anyone else.
 */
export const operatorOnly = () => ({
  security: [{ bearerAuth: [] }],
  middleware: [requireUnnarrowedAccount, requireOperator],
});
