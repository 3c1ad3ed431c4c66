// Preloaded by bun test (bunfig.toml): one database for the whole run, removed at the end.
import { afterAll, setDefaultTimeout } from "bun:test";
import { testDatabase } from "./database.ts";

// bunfig.toml has no per-test timeout key that Bun reads (it silently keeps 5 s): a suite on two
// shared cores needs more headroom than that for tests that start servers and hash passwords.
setDefaultTimeout(20_000);

const { url } = await testDatabase();
console.log(`tests run on ${url ? "PostgreSQL (fresh database)" : "embedded PostgreSQL (PGlite, in memory)"}`);

afterAll(async () => {
  await (await testDatabase()).drop();
});
