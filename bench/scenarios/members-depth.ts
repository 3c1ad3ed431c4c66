// membersDepth: a page of members or pending invites costs the page, whatever the organisation's
// size. Page times for an organisation of 10 members (20 pending invites) against one of 10,000
// (2,000), first page and a cursor half-way down, taken in turns.
import { BENCH_SECRETS, type Roster } from "../support/dataset.ts";
import { apiEnvOf, type Figure, type ScenarioOptions } from "../support/figures.ts";
import { depthFigure } from "../support/page-times.ts";
import { spawnApi } from "../support/processes.ts";

const PAGE = 5;

export async function membersDepthFigure({ dataset, quick }: ScenarioOptions): Promise<Figure> {
  const api = await spawnApi(apiEnvOf(dataset, BENCH_SECRETS));
  try {
    const rosters: Array<[string, Roster]> = [
      ["10", dataset.team],
      ["10,000", dataset.crowded],
    ];
    const variants = rosters.flatMap(([size, roster]) =>
      (["members", "invites"] as const).flatMap((list) =>
        [false, true].map((deep) => {
          const query = new URLSearchParams({ limit: String(PAGE) });
          if (deep) query.set("cursor", list === "members" ? roster.membersMiddle : roster.invitesMiddle);
          return {
            size,
            group: `${list}, ${deep ? "half-way cursor" : "first page"}`,
            url: `${api.base}/api/users${list === "invites" ? "/invites" : ""}?${query}`,
            token: roster.admin.token,
          };
        }),
      ),
    );
    return await depthFigure("membersDepth", "1× (same page time at 10 and 10,000 members)", variants, PAGE, quick ? 60 : 400);
  } finally {
    await api.stop();
  }
}
