import { availableParallelism } from "node:os";

/**
 * bcrypt through Bun.password: the hashing runs on Bun's worker threads, so a burst of logins
 * does not stall every other request on the event loop the way bcryptjs does (figures in
 * bench/login-burst.ts). Hashes are standard `$2b$` strings, interchangeable with bcryptjs.
 */
export type PasswordHasher = {
  hash(password: string): Promise<string>;
  verify(password: string, hash: string): Promise<boolean>;
  /** Spends the same time as a real verification; for unknown accounts. */
  verifyNobody(password: string): Promise<false>;
};

/**
 * At most `limit` hashes at a time. Left alone, a storm of logins puts bcrypt on every core and
 * the event loop (and the database, on the same machine) waits for CPU: reads slowed 7× under
 * 20 concurrent logins on 2 cores. One core is kept for everything else; logins queue instead.
 */
function createGate(limit: number) {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async <T>(work: () => Promise<T>): Promise<T> => {
    // A finishing hash hands its slot straight to the next in line, so none can slip in between.
    if (running < limit) running++;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await work();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}

export const defaultHashConcurrency = () => Math.max(1, availableParallelism() - 1);

export function createPasswordHasher(cost: number, concurrency = defaultHashConcurrency()): PasswordHasher {
  const gate = createGate(concurrency);
  const hash = (password: string) => gate(() => Bun.password.hash(password, { algorithm: "bcrypt", cost }));
  const verify = (password: string, stored: string) => gate(() => Bun.password.verify(password, stored, "bcrypt"));
  let dummyHash: Promise<string> | undefined;
  return {
    hash,
    verify,
    async verifyNobody(password) {
      dummyHash ??= hash("not-a-real-password-only-spends-time");
      await verify(password, await dummyHash);
      return false;
    },
  };
}
