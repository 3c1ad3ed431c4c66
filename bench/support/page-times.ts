// The depth figures (feedDepth, membersDepth): one page's time at different organisation sizes,
// each variant fetched in turns so noise hits all alike, then the worst spread between sizes
// within a group of variants that should cost the same.
import { type Figure, times } from "./figures.ts";
import { median, round } from "./stats.ts";

export type PageVariant = { size: string; group: string; url: string; token: string };

/** Fetches each variant `rounds` times in turns (after 20 warm-up turns) and returns the figure for `name`. */
export async function depthFigure(name: string, floor: string, variants: PageVariant[], rows: number, rounds: number): Promise<Figure> {
  const samples = variants.map(() => [] as number[]);
  for (let i = 0; i < rounds + 20; i++) {
    for (const [index, variant] of variants.entries()) {
      const started = performance.now();
      const response = await fetch(variant.url, { headers: { authorization: `Bearer ${variant.token}` } });
      const body = (await response.json()) as { data: unknown[] };
      if (response.status !== 200 || body.data.length !== rows)
        throw new Error(`${variant.url}: ${response.status}, ${body.data?.length} rows`);
      if (i >= 20) samples[index]?.push(performance.now() - started);
    }
  }
  const groups = [...new Set(variants.map((variant) => variant.group))].map((group) => {
    const medians = variants
      .map((variant, index) => ({ variant, ms: median(samples[index] ?? []) }))
      .filter(({ variant }) => variant.group === group)
      .map(({ variant, ms }) => ({ size: variant.size, ms }));
    const ms = medians.map((m) => m.ms);
    return { group, medians, spread: Math.max(...ms) / Math.min(...ms) };
  });
  const worst = Math.max(...groups.map((group) => group.spread));
  return {
    name,
    ours: `worst spread ${times(worst)}`,
    floor,
    ratio: times(worst),
    target: "≤ 1.2× either way round",
    met: worst <= 1.2,
    note: groups
      .map((group) => `${group.group}: ${group.medians.map((m) => `${m.size} → ${round(m.ms, 2)} ms`).join(", ")} (${times(group.spread)})`)
      .join("; "),
  };
}
