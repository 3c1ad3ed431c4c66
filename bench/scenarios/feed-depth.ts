// feedDepth: a feed page costs the page, whatever the organisation's size. Page times for
// organisations of 100, 2,000 and 100,000 activities (another holding 300,000) in one database,
// with and without `type`, on the first page and on a deep cursor, taken in turns.
import { encodeCursor } from "../../src/lib/cursor.ts";
import { BENCH_SECRETS, type Org } from "../support/dataset.ts";
import { apiEnvOf, type Figure, type ScenarioOptions } from "../support/figures.ts";
import { depthFigure } from "../support/page-times.ts";
import { spawnApi } from "../support/processes.ts";

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
          };
        }),
      ),
    );
    return await depthFigure("feedDepth", "1× (same page time at every size)", variants, PAGE, quick ? 60 : 400);
  } finally {
    await api.stop();
  }
}
