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

export function createPasswordHasher(cost: number): PasswordHasher {
  const hash = (password: string) => Bun.password.hash(password, { algorithm: "bcrypt", cost });
  let dummyHash: Promise<string> | undefined;
  return {
    hash,
    verify: (password, stored) => Bun.password.verify(password, stored, "bcrypt"),
    async verifyNobody(password) {
      dummyHash ??= hash("not-a-real-password-only-spends-time");
      await Bun.password.verify(password, await dummyHash, "bcrypt");
      return false;
    },
  };
}
