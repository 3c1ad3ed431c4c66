// An API instance for benchmarks: `bun bench/support/bench-server.ts [--hasher=NAME]`.
// Prints "READY <port>" once listening. Hashers other than the default exist only to measure
// what the default saves.
import bcrypt from "bcryptjs";
import { loadConfig } from "../../src/config/env.ts";
import { createLogger } from "../../src/lib/logger.ts";
import { createPasswordHasher, type PasswordHasher } from "../../src/lib/passwords.ts";
import { startServer } from "../../src/server.ts";

const { config } = loadConfig(process.env);
const hasherName = process.argv.find((arg) => arg.startsWith("--hasher="))?.split("=")[1] ?? "bun-password";

const hashers: Record<string, () => PasswordHasher> = {
  "bun-password": () => createPasswordHasher(config.BCRYPT_COST),
  // bcryptjs's callback API: runs on the event loop, in slices.
  "bcryptjs-async": () => {
    const dummy = bcrypt.hashSync("dummy", config.BCRYPT_COST);
    return {
      hash: (password) => bcrypt.hash(password, config.BCRYPT_COST),
      verify: (password, hash) => bcrypt.compare(password, hash),
      verifyNobody: async (password) => (await bcrypt.compare(password, dummy)) && false,
    };
  },
  // bcryptjs's sync API: blocks the event loop for the whole hash.
  "bcryptjs-sync": () => {
    const dummy = bcrypt.hashSync("dummy", config.BCRYPT_COST);
    return {
      hash: async (password) => bcrypt.hashSync(password, config.BCRYPT_COST),
      verify: async (password, hash) => bcrypt.compareSync(password, hash),
      verifyNobody: async (password) => bcrypt.compareSync(password, dummy) && false,
    };
  },
};

const makeHasher = hashers[hasherName];
if (!makeHasher) throw new Error(`unknown hasher ${hasherName}; one of ${Object.keys(hashers).join(", ")}`);

const server = await startServer({ config, logger: createLogger(config.LOG_LEVEL), passwords: makeHasher() });
console.log(`READY ${server.port}`);
process.on("SIGTERM", async () => {
  await server.stop();
  process.exit(0);
});
