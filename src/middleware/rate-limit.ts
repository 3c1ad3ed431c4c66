import type { Context, MiddlewareHandler } from "hono";
import { MemoryStore, RedisStore, rateLimiter, type Store } from "hono-rate-limiter";
import type { AppEnv } from "../app-env.ts";
import type { Config } from "../config/env.ts";
import { type AttemptLimiter, createAttemptLimiter } from "../lib/attempts.ts";
import { addressSubject } from "../lib/client-address.ts";
import type { Logger } from "../lib/logger.ts";
import type { Metrics } from "../lib/metrics.ts";
import { createRedisLink, type RedisLink } from "../lib/redis-link.ts";
import { fail } from "../lib/response.ts";
import { presentedToken } from "./auth.ts";

/** Probes are never throttled: a 429 on a liveness check would get a healthy instance killed. */
const UNLIMITED_PATHS = new Set(["/health", "/ready"]);

/** Stripe's deliveries: outside the user budget, under one of their own. */
export const WEBHOOK_PATH = "/api/billing/webhook";
/** Per sending address a minute: Stripe delivers dozens a second in a burst (a renewal run, a backlog after an outage). */
const WEBHOOK_LIMIT_PER_MINUTE = 6000;

export type RateLimits = {
  /** Every route but the webhook: RATE_LIMIT_MAX per client (its user when signed in, else its address) per window. */
  everywhere: MiddlewareHandler<AppEnv>;
  /** The billing webhook: WEBHOOK_LIMIT_PER_MINUTE per address. */
  webhooks: MiddlewareHandler<AppEnv>;
  /**
   * Routes that check a password or a token: RATE_LIMIT_AUTH_MAX per address per window, on top
   * of the above, whatever credentials the request carries.
   */
  credentials: MiddlewareHandler<AppEnv>;
  /** Failed credential checks per target account: RATE_LIMIT_ACCOUNT_MAX per RATE_LIMIT_ACCOUNT_WINDOW_MS. */
  accountAttempts: AttemptLimiter;
  /** Password-reset emails per address: RESET_EMAILS_PER_HOUR an hour. */
  resetRequests: AttemptLimiter;
  /** Invitation emails per recipient address: INVITE_EMAILS_PER_HOUR an hour. */
  inviteEmails: AttemptLimiter;
  /** Invitations per organisation: INVITES_PER_DAY a day. */
  organisationInvites: AttemptLimiter;
  close(): void;
};

/**
 * Redis when it answers, else this instance's memory: while Redis is down every budget is held
 * per instance — a limit divided among instances, but never none, so an outage does not turn
 * into unlimited password guessing. Written by hand because neither hono-rate-limiter nor its
 * stores offer a fallback.
 */
function sharedOrLocal(shared: Store<AppEnv>, local: Store<AppEnv>, link: RedisLink): Store<AppEnv> {
  const attempt = async <T>(viaRedis: () => Promise<T>, viaMemory: () => Promise<T> | T): Promise<T> => {
    if (link.up) {
      try {
        return await viaRedis();
      } catch {}
    }
    return viaMemory();
  };
  return {
    init: (options) => {
      shared.init?.(options);
      local.init?.(options);
    },
    increment: (key) =>
      attempt(
        async () => shared.increment(key),
        () => local.increment(key),
      ),
    decrement: (key) =>
      attempt(
        async () => shared.decrement(key),
        () => local.decrement(key),
      ),
    resetKey: (key) =>
      attempt(
        async () => shared.resetKey(key),
        () => local.resetKey(key),
      ),
  };
}

/**
 * The budgets. The general one holds a client to its user id when it presents a validly signed
 * access token (so one user is one client wherever they connect from), else to its address. It
 * does not ask whether the session was revoked: that would put the database in front of the
 * limiter, and a revoked token only moves its holder to its user's budget until it expires
 * (JWT_ACCESS_EXPIRES_IN). The credential budget is always the address: a token the caller
 * already holds must never buy more password guesses, or a fresh registration would buy ten
 * more each time.
 */
export async function createRateLimits(config: Config, logger: Logger, metrics?: Metrics): Promise<RateLimits> {
  const rejected = (budget: string) => () => metrics?.rateLimited.inc({ budget });
  const link = config.REDIS_URL ? createRedisLink(config.REDIS_URL, logger, (up) => metrics?.rateLimitStoreUp.set(up ? 1 : 0)) : undefined;
  await link?.start();
  if (link) logger.info("rate limits: counters shared in Redis");

  const storeFor = (name: string): Store<AppEnv> =>
    link
      ? sharedOrLocal(
          new RedisStore<AppEnv>({ client: link.client, prefix: `${config.RATE_LIMIT_PREFIX}:${name}:` }),
          new MemoryStore(),
          link,
        )
      : new MemoryStore<AppEnv>();

  const addressOf = (c: Context<AppEnv>) => `ip:${addressSubject(c.get("clientIp"))}`;
  const userOrAddressOf = (c: Context<AppEnv>) => {
    const claims = c.get("services").auth.claimsOf(presentedToken(c.req));
    return claims ? `user:${claims.userId}` : addressOf(c);
  };

  const limiter = (
    name: string,
    limit: number,
    keyGenerator: (c: Context<AppEnv>) => string,
    hint: string,
    { windowMs = config.RATE_LIMIT_WINDOW_MS, skip = (c: Context<AppEnv>) => UNLIMITED_PATHS.has(c.req.path) } = {},
  ) =>
    rateLimiter<AppEnv>({
      windowMs,
      limit,
      standardHeaders: "draft-6",
      keyGenerator,
      skip,
      store: storeFor(name),
      handler: (c) => {
        rejected(name)();
        const resetAt = c.get("rateLimit").resetTime?.getTime() ?? Date.now() + windowMs;
        const seconds = Math.max(1, Math.ceil((resetAt - Date.now()) / 1000));
        // In development, say which setting raised the wall: a developer hitting it should not have to search.
        const raise = config.NODE_ENV === "development" ? ` (development: ${hint} raises this limit)` : "";
        return fail(c, "RATE_LIMITED", `Too many requests; try again in ${seconds} seconds${raise}`);
      },
    }) as MiddlewareHandler<AppEnv>;

  // Not behind a limiter middleware, so nothing else initialises them with their windows.
  const counter = async (name: string, limit: number, windowMs: number, setting: string, budget = name) => {
    const store = storeFor(name);
    await store.init?.({ windowMs } as Parameters<NonNullable<Store<AppEnv>["init"]>>[0]);
    const counted = { increment: (key: string) => store.increment(key), decrement: (key: string) => store.decrement(key) };
    return createAttemptLimiter(counted, {
      limit,
      windowMs,
      onRejected: rejected(budget),
      ...(config.NODE_ENV === "development" ? { setting } : {}),
    });
  };
  const HOUR = 3_600_000;
  return {
    everywhere: limiter("general", config.RATE_LIMIT_MAX, userOrAddressOf, "RATE_LIMIT_MAX", {
      skip: (c) => UNLIMITED_PATHS.has(c.req.path) || c.req.path === WEBHOOK_PATH,
    }),
    webhooks: limiter("webhooks", WEBHOOK_LIMIT_PER_MINUTE, addressOf, "WEBHOOK_LIMIT_PER_MINUTE in src/middleware/rate-limit.ts", {
      windowMs: 60_000,
      skip: () => false,
    }),
    credentials: limiter("credentials", config.RATE_LIMIT_AUTH_MAX, addressOf, "RATE_LIMIT_AUTH_MAX"),
    accountAttempts: await counter("account", config.RATE_LIMIT_ACCOUNT_MAX, config.RATE_LIMIT_ACCOUNT_WINDOW_MS, "RATE_LIMIT_ACCOUNT_MAX"),
    resetRequests: await counter("reset", config.RESET_EMAILS_PER_HOUR, HOUR, "RESET_EMAILS_PER_HOUR", "reset-emails"),
    inviteEmails: await counter("invite-emails", config.INVITE_EMAILS_PER_HOUR, HOUR, "INVITE_EMAILS_PER_HOUR"),
    organisationInvites: await counter("organisation-invites", config.INVITES_PER_DAY, 24 * HOUR, "INVITES_PER_DAY"),
    close: () => link?.close(),
  };
}
