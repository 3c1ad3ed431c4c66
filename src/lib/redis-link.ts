import { RedisClient } from "bun";
import type { Logger } from "./logger.ts";

const backoffMs = (attempt: number) => Math.min(30_000, 500 * 2 ** attempt) * (0.5 + Math.random() / 2);

/**
 * A Redis connection that knows whether it is up. Commands fail at once while it is down
 * (a request never waits on Redis), and the link reconnects by itself with backoff. Losing it
 * and getting it back are each logged once, and `onChange` hears both (a gauge).
 *
 * Written around Bun's client because its own reconnection keeps connect() pending for seconds
 * and queues commands meanwhile: the opposite of what a rate limiter in front of every request
 * needs.
 */
export function createRedisLink(url: string, logger: Logger, onChange?: (up: boolean) => void) {
  const redis = new RedisClient(url, { enableOfflineQueue: false, autoReconnect: false, connectionTimeout: 2000 });
  let up = false;
  let closed = false;
  let reconnecting = false;

  const connected = () => {
    up = true;
    onChange?.(true);
  };

  const reconnect = async () => {
    if (reconnecting) return;
    reconnecting = true;
    for (let attempt = 0; !closed && !up; attempt++) {
      await Bun.sleep(backoffMs(attempt));
      try {
        await redis.connect();
        connected();
        logger.info("rate limits: Redis is back; budgets are shared again");
      } catch {}
    }
    reconnecting = false;
  };

  const lost = (error: unknown) => {
    if (closed || !up) return;
    up = false;
    onChange?.(false);
    logger.warn("rate limits: Redis unreachable; budgets are counted on each instance until it is back", { error: String(error) });
    void reconnect();
  };
  redis.onclose = lost;

  const send = async <T>(command: string, args: string[]): Promise<T> => {
    if (!up) throw new Error("Redis is unreachable");
    try {
      return (await redis.send(command, args)) as T;
    } catch (error) {
      if (!redis.connected) lost(error);
      throw error;
    }
  };

  return {
    /** Connects once; when Redis is not there yet, starts without it and keeps trying. */
    async start() {
      try {
        await redis.connect();
        connected();
      } catch (error) {
        onChange?.(false);
        logger.warn("rate limits: Redis unreachable at start; budgets are counted on each instance until it is there", {
          error: String(error),
        });
        reconnect();
      }
    },
    get up() {
      return up;
    },
    /** What hono-rate-limiter's RedisStore asks of a client. */
    client: {
      scriptLoad: (script: string) => send<string>("SCRIPT", ["LOAD", script]),
      evalsha: <TArgs extends unknown[], TData = unknown>(sha: string, keys: string[], args: TArgs) =>
        send<TData>("EVALSHA", [sha, String(keys.length), ...keys, ...args.map(String)]),
      decr: (key: string) => send<number>("DECR", [key]),
      del: (key: string) => send<number>("DEL", [key]),
    },
    close() {
      closed = true;
      redis.close();
    },
  };
}

export type RedisLink = ReturnType<typeof createRedisLink>;
