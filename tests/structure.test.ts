// Dependencies point one way: entry → app → modules/realtime → db/lib/config. Checked on the
// source itself, every relative import (`import type` included), so a new file cannot bend it.
import { expect, test } from "bun:test";
import { dirname, join, relative, resolve } from "node:path";
import { Glob } from "bun";

const ROOT = join(import.meta.dir, "..");
const IMPORT = /(?:import|export)\s[^;]*?from\s+["'](\.{1,2}\/[^"']+)["']/g;

/** Each source file and the source files it imports. */
async function importGraph(): Promise<Map<string, string[]>> {
  const graph = new Map<string, string[]>();
  for (const file of new Glob("src/**/*.ts").scanSync(ROOT)) {
    const text = await Bun.file(join(ROOT, file)).text();
    const targets = [...text.matchAll(IMPORT)].map((match) => relative(ROOT, resolve(dirname(join(ROOT, file)), match[1] as string)));
    graph.set(file, targets);
  }
  return graph;
}

const isLow = (file: string) => /^src\/(db|lib|config)\//.test(file);
const isHigh = (file: string) => /^src\/(modules|realtime)\//.test(file) || /^src\/(services|app|app-env|main|server)\.ts$/.test(file);

test("the data layer, lib and config import nothing above them", async () => {
  const upward = [...(await importGraph())].flatMap(([file, targets]) =>
    isLow(file) ? targets.filter(isHigh).map((target) => `${file} → ${target}`) : [],
  );
  expect(upward).toEqual([]);
});

test("no import cycle, of any length", async () => {
  const graph = await importGraph();
  const state = new Map<string, "visiting" | "done">();
  const cycles: string[] = [];
  const visit = (file: string, path: string[]) => {
    if (state.get(file) === "done") return;
    if (state.get(file) === "visiting") {
      cycles.push([...path.slice(path.indexOf(file)), file].join(" → "));
      return;
    }
    state.set(file, "visiting");
    for (const target of graph.get(file) ?? []) if (graph.has(target)) visit(target, [...path, file]);
    state.set(file, "done");
  };
  for (const file of graph.keys()) visit(file, []);
  expect(cycles).toEqual([]);
});

test("the realtime side imports no module: what it hears is the notification contracts in db/notifications.ts", async () => {
  const reaching = [...(await importGraph())].flatMap(([file, targets]) =>
    file.startsWith("src/realtime/")
      ? targets.filter((target) => target.startsWith("src/modules/")).map((target) => `${file} → ${target}`)
      : [],
  );
  expect(reaching).toEqual([]);
});

test("a module uses another only through its index.ts", async () => {
  const moduleOf = (file: string) => /^src\/modules\/([^/]+)\//.exec(file)?.[1];
  const reaching = [...(await importGraph())].flatMap(([file, targets]) =>
    targets
      .filter((target) => moduleOf(target) && moduleOf(target) !== moduleOf(file) && !target.endsWith("/index.ts"))
      // The composition root mounts each module's router; nothing else may reach inside.
      .filter((target) => !(file === "src/app.ts" && target.endsWith(".router.ts")))
      .map((target) => `${file} → ${target}`),
  );
  expect(reaching).toEqual([]);
});

test("the platform scope is reached from the admin module alone (and nothing in a tenant route imports it)", async () => {
  const importers = [...(await importGraph())].filter(([, targets]) => targets.includes("src/db/platform.ts")).map(([file]) => file);
  expect(importers.length).toBeGreaterThan(0);
  expect(importers.filter((file) => !file.startsWith("src/modules/admin/"))).toEqual([]);
});

test("no file in src/ is over 200 lines: one that grows past it holds two jobs", async () => {
  const long: string[] = [];
  for (const file of new Glob("src/**/*.ts").scanSync(ROOT)) {
    const lines = (await Bun.file(join(ROOT, file)).text()).split("\n").length - 1;
    if (lines > 200) long.push(`${file}: ${lines} lines`);
  }
  expect(long).toEqual([]);
});

test("a request's variables are read with c.get(name): Hono's c.var copies every one into a new object on each access", async () => {
  const copying: string[] = [];
  for (const file of new Glob("src/**/*.ts").scanSync(ROOT)) {
    const lines = (await Bun.file(join(ROOT, file)).text()).split("\n");
    for (const [index, line] of lines.entries()) if (/\bc\.var\b/.test(line)) copying.push(`${file}:${index + 1}`);
  }
  expect(copying).toEqual([]);
});
