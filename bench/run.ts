// Every hot path of the API against a bare floor measured in the same run, on the same data.
//
//   bun run bench            full run (3 rounds, longer loads): several minutes
//   bun run bench --quick    one short round of each figure: under 90 s
//   bun run bench --embedded on the embedded database (refused without it: that measures PGlite, not the API)
//   bun run bench --only=orgRead --compare=../other-checkout
//                            orgRead also against another checkout's API (same data, same turns)
//
// The API is started as an operator starts it (`bun src/main.ts`, production mode) on
// DATABASE_URL when set — as a non-superuser owner role this run creates — else on the embedded
// database. Floors (bench/floors/) are a few dozen lines each with no framework. Load comes from
// wrk (installed from Debian when missing). Prints a table and writes bench/results/latest.json.
import { mkdirSync, writeFileSync } from "node:fs";
import { feedDepthFigure } from "./scenarios/feed-depth.ts";
import { httpFigures } from "./scenarios/http.ts";
import { membersDepthFigure } from "./scenarios/members-depth.ts";
import { notifyWritesFigure } from "./scenarios/notify-writes.ts";
import { realtimeFigures } from "./scenarios/realtime.ts";
import { revocationLagFigure } from "./scenarios/revocation.ts";
import { rlsFigure } from "./scenarios/rls.ts";
import { prepareDataset } from "./support/dataset.ts";
import { type Figure, NOISE_SPREAD } from "./support/figures.ts";
import { markdownTable, round } from "./support/stats.ts";
import { ensureWrk } from "./support/wrk.ts";

const quick = process.argv.includes("--quick");
const only = process.argv
  .find((arg) => arg.startsWith("--only="))
  ?.slice(7)
  .split(",");
const compare = process.argv.find((arg) => arg.startsWith("--compare="))?.slice(10);
const started = performance.now();

if (!process.env.DATABASE_URL && !process.argv.includes("--embedded")) {
  console.error(
    "bun run bench measures the API against PostgreSQL: set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres).\n" +
      "On the embedded database a run measures PGlite, one query at a time in this machine's memory, not the API; pass --embedded to run it anyway.",
  );
  process.exit(2);
}

await ensureWrk();
console.log(`seeding the ${process.env.DATABASE_URL ? "PostgreSQL" : "embedded"} database…`);
const dataset = await prepareDataset({ quick });
console.log(`seeded in ${round((performance.now() - started) / 1000, 1)} s`);

const figures: Figure[] = [];
const wanted = (name: string) => !only || only.includes(name);
const record = (found: Figure[]) => {
  for (const figure of found) {
    figures.push(figure);
    console.log(
      `${figure.name}: ours ${figure.ours}, floor ${figure.floor}, ratio ${figure.ratio}, target ${figure.target} → ${figure.met ? "met" : "NOT met"}`,
    );
  }
};

try {
  const options = { dataset, quick, wanted, compare };
  record(await httpFigures(options));
  if (wanted("feedDepth")) record([await feedDepthFigure(options)]);
  if (wanted("membersDepth")) record([await membersDepthFigure(options)]);
  if (wanted("rls")) record([await rlsFigure(options)]);
  record(await realtimeFigures(options));
  if (wanted("notifyWrites")) record([await notifyWritesFigure(options)]);
  if (wanted("revocationLag")) record([await revocationLagFigure(options)]);
} finally {
  await dataset.drop();
}

const table = markdownTable(
  figures.map((figure) => ({
    figure: figure.name,
    ours: figure.ours,
    floor: figure.floor,
    ratio: figure.ratio,
    target: figure.target,
    "met?": figure.met ? "yes" : "**no**",
    rounds: figure.noisy ? `**noisy**: ${figure.noisy}` : "agree",
  })),
);
const context = `${dataset.driver === "pg" ? "PostgreSQL" : "embedded PostgreSQL (PGlite)"}, ${quick ? "--quick (one short round)" : "medians of 3 rounds"}, ${new Date().toISOString()}`;
const legend = `A figure is marked noisy when its rounds (its floor's or ours) are more than ${NOISE_SPREAD * 100} % apart: something else had the cores; run it again.`;
console.log(`\n${context}\n\n${table}\n\n${legend}\n`);
for (const figure of figures.filter((figure) => figure.note)) console.log(`- ${figure.name}: ${figure.note}`);
console.log(`\ntook ${round((performance.now() - started) / 1000, 0)} s`);

mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
writeFileSync(
  new URL("./results/latest.json", import.meta.url),
  `${JSON.stringify(
    {
      context,
      figures: Object.fromEntries(
        figures.map(({ name, ours, floor, ratio, target, met, note, noisy }) => [
          name,
          { ours, floor, ratio, target, met, ...(note ? { note } : {}), ...(noisy ? { noisy } : {}) },
        ]),
      ),
    },
    null,
    2,
  )}\n`,
);
writeFileSync(new URL("./results/latest.md", import.meta.url), `${context}\n\n${table}\n\n${legend}\n`);
