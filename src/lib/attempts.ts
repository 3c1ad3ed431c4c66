import { TooManyAttemptsError } from "./errors.ts";

/** The part of a rate-limit store (hono-rate-limiter's MemoryStore or RedisStore) that counting attempts needs. */
export type AttemptStore = {
  increment(key: string): Promise<{ totalHits: number; resetTime?: Date }> | { totalHits: number; resetTime?: Date };
  decrement(key: string): Promise<void> | void;
};

export type AttemptLimiter = ReturnType<typeof createAttemptLimiter>;

/**
 * A budget of attempts per subject (an account, an email address, an organisation) per window,
 * counted in a rate-limit store so that every instance shares it.
 *
 * For credential checks it is the half of the credential budget that an attacker spreading
 * guesses over many addresses cannot escape. An attempt is counted before the check runs and
 * handed back when it succeeds, so concurrent guesses cannot all slip through between a read and
 * a write, and the owner signing in with the right password costs nothing. A spent budget is a
 * 429 that ends with the window, not a lockout: an attacker can slow the owner down for that
 * long, never lock them out for good.
 */
export function createAttemptLimiter(
  store: AttemptStore,
  {
    limit,
    windowMs,
    onRejected,
    setting,
  }: {
    limit: number;
    windowMs: number;
    onRejected?: () => void;
    /** Named in the refusal (development only), so whoever hits the wall knows what raises it. */
    setting?: string;
  },
) {
  const secondsUntil = (resetTime: Date | undefined) =>
    Math.max(1, Math.ceil(((resetTime?.getTime() ?? Date.now() + windowMs) - Date.now()) / 1000));

  /** Counts one attempt for `subject`; throws a 429 saying `refusal` (and when to retry) once the budget is spent. */
  async function take(subject: string, refusal: string): Promise<void> {
    const { totalHits, resetTime } = await store.increment(subject);
    if (totalHits <= limit) return;
    onRejected?.();
    const seconds = secondsUntil(resetTime);
    const raise = setting ? ` (development: ${setting} raises this limit)` : "";
    throw new TooManyAttemptsError(`${refusal}; try again in ${seconds} seconds${raise}`, seconds);
  }

  return {
    take,

    /** Counts one request for `subject`: true while within the budget, false once it is spent. */
    async allow(subject: string): Promise<boolean> {
      const { totalHits } = await store.increment(subject);
      if (totalHits > limit) onRejected?.();
      return totalHits <= limit;
    },

    /** Runs `check` (a password or token verification) unless `subject`'s budget is spent; its verdict is returned. */
    async check(subject: string, check: () => Promise<boolean>): Promise<boolean> {
      await take(subject, "Too many failed attempts for this account");
      const passed = await check();
      if (passed) await store.decrement(subject);
      return passed;
    },
  };
}
