import { RedisClient } from "bun";
import type { Context, MiddlewareHandler } from "hono";
import { MemoryStore, RedisStore, rateLimiter, type Store } from "hono-rate-limiter";
import type { AppEnv } from "../app-env.ts";
import type { Config } from "../config/env.ts";
import { type AttemptLimiter, createAttemptLimiter } from "../lib/attempts.ts";
import { addressSubject } from "../lib/client-address.ts";
import type { Logger } from "../lib/logger.ts";
import type { Metrics } from "../lib/metrics.ts";
import { fail } from "../lib/response.ts";
import { presentedToken } from "./auth.ts";

/** Probes are never throttled: a 429 on a liveness check would get a healthy instance killed. */
const UNLIMITED_PATHS = new Set(["/health", "/ready"]);

export type RateLimits = {
  /** Every route: RATE_LIMIT_MAX per client (its user when signed in, else its address) per window. */
  everywhere: MiddlewareHandler<AppEnv>;
  /**
   * Routes that check a password or a token: RATE_LIMIT_AUTH_MAX per address per window, on top
   * of the above, whatever credentials the request carries.
   */
  credentials: MiddlewareHandler<AppEnv>;
  /** Failed credential checks per target account: RATE_LIMIT_ACCOUNT_MAX per RATE_LIMIT_ACCOUNT_WINDOW_MS. */
  accountAttempts: AttemptLimiter;
  /** Password-reset emails per address: RESET_EMAILS_PER_HOUR an hour. */
  resetRequests: AttemptLimiter;
  close(): void;
};

/**
 * Bun's built-in Redis client, shaped as hono-rate-limiter's RedisStore expects. Commands fail
 * at once while Redis is unreachable instead of queueing (so a request never waits on it), and
 * each such failure nudges a reconnect.
 */
async function connectRedisStoreClient(url: string, logger: Logger) {
  // Reconnection is ours (the nudge below): Bun's own retries would keep connect() pending for seconds.
  const redis = new RedisClient(url, { enableOfflineQueue: false, autoReconnect: false, connectionTimeout: 2000 });
  let connecting: Promise<void> | undefined;
  const reconnect = () => {
    connecting ??= redis
      .connect()
      .catch((error) => logger.warn("rate limits: Redis unreachable", { error: String(error) }))
      .finally(() => (connecting = undefined));
    return connecting;
  };
  const send = <T>(command: string, args: string[]) => {
    if (!redis.connected) void reconnect();
    return redis.send(command, args) as Promise<T>;
  };
  await reconnect();
  return {
    scriptLoad: (script: string) => send<string>("SCRIPT", ["LOAD", script]),
    evalsha: <TArgs extends unknown[], TData = unknown>(sha: string, keys: string[], args: TArgs) =>
      send<TData>("EVALSHA", [sha, String(keys.length), ...keys, ...args.map(String)]),
    decr: (key: string) => send<number>("DECR", [key]),
    del: (key: string) => send<number>("DEL", [key]),
    close: () => redis.close(),
  };
}

/**
 * A store that lets requests through when its backend fails: losing rate limiting for the
 * length of a Redis outage beats answering 500 to every request during it. Written by hand
 * because neither hono-rate-limiter nor its stores offer a fail-open mode.
 */
function failOpen(store: Store<AppEnv>, logger: Logger): Store<AppEnv> {
  let warned = false;
  const warnOnce = (error: unknown) => {
    if (!warned) logger.warn("rate-limit store unavailable; letting requests through", { error: String(error) });
    warned = true;
  };
  return {
    init: (options) => store.init?.(options),
    async increment(key) {
      try {
        const info = await store.increment(key);
        warned = false;
        return info;
      } catch (error) {
        warnOnce(error);
        return { totalHits: 0, resetTime: new Date(Date.now() + 1000) };
      }
    },
    decrement: (key) => Promise.resolve(store.decrement(key)).catch(warnOnce),
    resetKey: (key) => Promise.resolve(store.resetKey(key)).catch(warnOnce),
    get: store.get && ((key) => Promise.resolve(store.get?.(key)).catch((error) => void warnOnce(error))),
  };
}

/**
 * The budgets. The general one holds a client to its user id when it presents a valid access
 * token (so one user is one client wherever they connect from), else to its address. The
 * credential budget is always the address: a token the caller already holds must never buy
 * more password guesses, or a fresh registration would buy ten more each time.
 */
export async function createRateLimits(config: Config, logger: Logger, metrics?: Metrics): Promise<RateLimits> {
  const rejected = (budget: string) => () => metrics?.rateLimited.inc({ budget });
  const redis = config.REDIS_URL ? await connectRedisStoreClient(config.REDIS_URL, logger) : undefined;
  if (redis) logger.info("rate limits: counters shared in Redis");

  const storeFor = (name: string): Store<AppEnv> => {
    const store: Store<AppEnv> = redis
      ? new RedisStore<AppEnv>({ client: redis, prefix: `${config.RATE_LIMIT_PREFIX}:${name}:` })
      : new MemoryStore<AppEnv>();
    return failOpen(store, logger);
  };

  const addressOf = (c: Context<AppEnv>) => `ip:${addressSubject(c.var.clientIp)}`;
  const userOrAddressOf = (c: Context<AppEnv>) => {
    const claims = c.var.services.auth.claimsOf(presentedToken(c.req));
    return claims ? `user:${claims.userId}` : addressOf(c);
  };

  const limiter = (name: string, limit: number, keyGenerator: (c: Context<AppEnv>) => string) =>
    rateLimiter<AppEnv>({
      windowMs: config.RATE_LIMIT_WINDOW_MS,
      limit,
      standardHeaders: "draft-6",
      keyGenerator,
      skip: (c) => UNLIMITED_PATHS.has(c.req.path),
      store: storeFor(name),
      handler: (c) => {
        rejected(name)();
        const resetAt = c.var.rateLimit.resetTime?.getTime() ?? Date.now() + config.RATE_LIMIT_WINDOW_MS;
        const seconds = Math.max(1, Math.ceil((resetAt - Date.now()) / 1000));
        return fail(c, "RATE_LIMITED", `Too many requests; try again in ${seconds} seconds`);
      },
    }) as MiddlewareHandler<AppEnv>;

  // Not behind a limiter middleware, so nothing else initialises them with their windows.
  const counterStore = async (name: string, windowMs: number) => {
    const store = storeFor(name);
    await store.init?.({ windowMs } as Parameters<NonNullable<Store<AppEnv>["init"]>>[0]);
    return { increment: (key: string) => store.increment(key), decrement: (key: string) => store.decrement(key) };
  };
  const HOUR = 3_600_000;
  return {
    everywhere: limiter("general", config.RATE_LIMIT_MAX, userOrAddressOf),
    credentials: limiter("credentials", config.RATE_LIMIT_AUTH_MAX, addressOf),
    accountAttempts: createAttemptLimiter(await counterStore("account", config.RATE_LIMIT_ACCOUNT_WINDOW_MS), {
      limit: config.RATE_LIMIT_ACCOUNT_MAX,
      windowMs: config.RATE_LIMIT_ACCOUNT_WINDOW_MS,
      onRejected: rejected("account"),
    }),
    resetRequests: createAttemptLimiter(await counterStore("reset", HOUR), {
      limit: config.RESET_EMAILS_PER_HOUR,
      windowMs: HOUR,
      onRejected: rejected("reset-emails"),
    }),
    close: () => redis?.close(),
  };
}
