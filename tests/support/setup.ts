// Preloaded by bun test (bunfig.toml): one database for the whole run, removed at the end.
import { afterAll } from "bun:test";
import { testDatabase } from "./database.ts";

const { url } = await testDatabase();
console.log(`tests run on ${url ? "PostgreSQL (fresh database)" : "embedded PostgreSQL (PGlite, in memory)"}`);

afterAll(async () => {
  await (await testDatabase()).drop();
});
