import { BENCH_SECRETS, type Org, prepareDataset } from "./support/dataset.ts";
import { apiEnvOf } from "./support/figures.ts";
import { spawnApi } from "./support/processes.ts";
import { marker, openCrowd } from "./support/sockets.ts";
import { percentile } from "./support/stats.ts";
const N = Number(process.env.SOCKETS ?? 1000);
const dataset = await prepareDataset({ quick: true });
const org = dataset.regular[1] as Org;
const api = await spawnApi({ ...apiEnvOf(dataset, BENCH_SECRETS), ...(process.env.API_OPTIONS ? { BUN_OPTIONS: process.env.API_OPTIONS } : {}) });
console.error("MEASURE START");
const crowd = await openCrowd(() => `${api.base.replace(/^http/, "ws")}/ws`, N, (i) => org.members[i % org.members.length]?.token as string);
const r = { first: [] as number[], last: [] as number[], answered: [] as number[] };
console.error("BROADCASTS START");
for (let i = 0; i < Number(process.env.COUNT ?? 203); i++) {
  const text = marker();
  const arrived = crowd.allReceived(text, N, 10_000);
  const t0 = performance.now();
  const res = await fetch(`${api.base}/api/organisations/broadcast`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${org.members[0]?.token}` }, body: JSON.stringify({ message: text }) });
  await res.arrayBuffer();
  const t1 = performance.now();
  const last = await arrived;
  if (process.env.GAP) await Bun.sleep(Number(process.env.GAP));
  if (i >= 3) { r.first.push((crowd.firstAt(text) ?? last) - t0); r.last.push(last - t0); r.answered.push(t1 - t0); }
}
for (const [k, v] of Object.entries(r)) console.log(`CLIENT ${k.padEnd(9)} p50 ${percentile(v, 50).toFixed(2)} p90 ${percentile(v, 90).toFixed(2)} p99 ${percentile(v, 99).toFixed(2)}`);
crowd.close();
await api.stop();
process.exit(0);
