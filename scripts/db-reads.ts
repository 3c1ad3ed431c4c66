// `bun run db:reads [name]`: writes the hot reads' and writes' functions (src/reads.ts) into a new migration,
// allocated by drizzle-kit (`generate --custom`), for every read whose definition the migrations
// do not already hold word for word. Run it after changing a read's query; the suite
// (tests/tenant-reads.test.ts) fails until the migrated database matches the code.
// `--check` only says whether one is needed (exit 1 when it is).
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { SCOPED_FUNCTIONS } from "../src/reads.ts";

const folder = new URL("../drizzle/", import.meta.url);
const migrations = () =>
  readdirSync(folder)
    .filter((file) => file.endsWith(".sql"))
    .sort();
const existing = migrations()
  .map((file) => readFileSync(new URL(file, folder), "utf8"))
  .join("\n");

const stale = SCOPED_FUNCTIONS.filter((read) => !read.definition().every((statement) => existing.includes(statement)));
if (stale.length === 0) {
  console.log("the migrations already define every hot read and write as src/reads.ts has it");
  process.exit(0);
}
if (process.argv.includes("--check")) {
  console.log(`a migration is needed for: ${stale.map((read) => read.name).join(", ")} (bun run db:reads)`);
  process.exit(1);
}

const before = new Set(migrations());
const generated = Bun.spawnSync(["bunx", "drizzle-kit", "generate", "--custom", `--name=${process.argv[2] ?? "hot_reads"}`], {
  stdout: "inherit",
  stderr: "inherit",
});
if (generated.exitCode !== 0) process.exit(generated.exitCode ?? 1);
const [created] = migrations().filter((file) => !before.has(file));
if (!created) throw new Error("drizzle-kit made no migration file");
const header = `-- Hot reads and writes as self-scoping functions, written by \`bun run db:reads\` from src/reads.ts: ${stale.map((read) => read.name).join(", ")}.\n`;
writeFileSync(new URL(created, folder), header + stale.flatMap((read) => read.definition()).join("\n--> statement-breakpoint\n"));
console.log(`drizzle/${created}: ${stale.map((read) => read.name).join(", ")}`);
