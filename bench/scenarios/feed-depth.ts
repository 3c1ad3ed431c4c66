// feedDepth: a feed page costs the page, whatever the organisation's size. Page times for
// organisations of 100, 2,000 and 100,000 activities (another holding 300,000) in one database,
// with and without `type`, on the first page and on a deep cursor, taken in turns.
import { encodeCursor } from "../../src/lib/cursor.ts";
import { BENCH_SECRETS, type Org } from "../support/dataset.ts";
import { apiEnvOf, type Figure, type ScenarioOptions, times } from "../support/figures.ts";
import { spawnApi } from "../support/processes.ts";
import { median, round } from "../support/stats.ts";

const PAGE = 20;

export async function feedDepthFigure({ dataset, quick }: ScenarioOptions): Promise<Figure> {
  const api = await spawnApi(apiEnvOf(dataset, BENCH_SECRETS));
  try {
    const orgs: Array<[string, Org]> = [
      ["100", dataset.small],
      ["2,000", dataset.regular[0] as Org],
      ["100,000", dataset.large],
    ];
    const variants = orgs.flatMap(([size, org]) =>
      [undefined, "BROADCAST_MESSAGE"].flatMap((type) =>
        [false, true].map((deep) => {
          const query = new URLSearchParams({ limit: String(PAGE) });
          if (type) query.set("type", type);
          // Half-way down the log: a page that starts far from the newest activity.
          if (deep) query.set("cursor", encodeCursor(String(51 + Math.floor((org.activities - 51) / 2))));
          return {
            size,
            group: `${type ? "type" : "all"}, ${deep ? "deep cursor" : "first page"}`,
            url: `${api.base}/api/activities?${query}`,
            token: org.members[0]?.token as string,
            samples: [] as number[],
          };
        }),
      ),
    );
    const rounds = quick ? 60 : 400;
    for (let i = 0; i < rounds + 20; i++) {
      for (const variant of variants) {
        const started = performance.now();
        const response = await fetch(variant.url, { headers: { authorization: `Bearer ${variant.token}` } });
        const body = (await response.json()) as { data: unknown[] };
        if (response.status !== 200 || body.data.length !== PAGE)
          throw new Error(`${variant.url}: ${response.status}, ${body.data?.length} rows`);
        if (i >= 20) variant.samples.push(performance.now() - started); // the first 20 warm up
      }
    }
    const groups = [...new Set(variants.map((variant) => variant.group))].map((group) => {
      const medians = variants
        .filter((variant) => variant.group === group)
        .map((variant) => ({ size: variant.size, ms: median(variant.samples) }));
      const ms = medians.map((m) => m.ms);
      return { group, medians, spread: Math.max(...ms) / Math.min(...ms) };
    });
    const worst = Math.max(...groups.map((group) => group.spread));
    return {
      name: "feedDepth",
      ours: `worst spread ${times(worst)}`,
      floor: "1× (same page time at every size)",
      ratio: times(worst),
      target: "≤ 1.2× either way round",
      met: worst <= 1.2,
      note: groups
        .map(
          (group) => `${group.group}: ${group.medians.map((m) => `${m.size} → ${round(m.ms, 2)} ms`).join(", ")} (${times(group.spread)})`,
        )
        .join("; "),
    };
  } finally {
    await api.stop();
  }
}
