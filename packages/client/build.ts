// `bun run build` (here, or at the repository root): the package as ESM in dist/ — index.js, one
// file with openapi-fetch bundled in, for Bun, Node 20+ and browsers — and its declarations
// (TypeScript 5, the package's own: see codegen.ts).
import { rmSync } from "node:fs";

const root = import.meta.dir;
rmSync(`${root}/dist`, { recursive: true, force: true });
const built = await Bun.build({ entrypoints: [`${root}/src/index.ts`], outdir: `${root}/dist`, target: "browser", format: "esm" });
if (!built.success) {
  for (const log of built.logs) console.error(log);
  process.exit(1);
}
const declarations = Bun.spawnSync([`${root}/node_modules/.bin/tsc`, "-p", `${root}/tsconfig.build.json`], {
  stdout: "inherit",
  stderr: "inherit",
});
if (declarations.exitCode !== 0) process.exit(declarations.exitCode ?? 1);
console.log("built packages/client/dist (index.js, index.d.ts)");
