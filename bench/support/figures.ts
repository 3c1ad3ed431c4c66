import type { Dataset } from "./dataset.ts";

/**
 * One line of the results: our figure, its floor from the same run, and the target between them.
 * `noisy` says why the figure's rounds cannot be trusted (see noiseOf).
 */
export type Figure = {
  name: string;
  ours: string;
  floor: string;
  ratio: string;
  target: string;
  met: boolean;
  note?: string;
  noisy?: string;
};

/** How far apart a figure's rounds may be before it is marked noisy: its floor varying this much means something else had the cores. */
export const NOISE_SPREAD = 0.25;

/** Why a figure is noisy, if it is: its floor's rounds (or ours) vary by more than NOISE_SPREAD, largest over smallest. */
export function noiseOf(rounds: Record<string, number[]>): string | undefined {
  const found = Object.entries(rounds)
    .filter(([, values]) => values.length > 1)
    .map(([name, values]) => ({ name, spread: Math.max(...values) / Math.min(...values) - 1 }))
    .filter(({ spread }) => spread > NOISE_SPREAD);
  return found.length ? found.map(({ name, spread }) => `${name} rounds ${Math.round(spread * 100)} % apart`).join(", ") : undefined;
}

/** `compare`: the root of another checkout whose API orgRead also measures, in the same turns. */
export type ScenarioOptions = { dataset: Dataset; quick: boolean; wanted(name: string): boolean; compare?: string };

/** The API's environment for a benchmark: the run's data and secrets, limits out of the way. */
export const apiEnvOf = (dataset: Dataset, extra: Record<string, string> = {}) => ({
  ...dataset.apiEnv(),
  RATE_LIMIT_MAX: "1000000000",
  RATE_LIMIT_AUTH_MAX: "1000000000",
  RATE_LIMIT_ACCOUNT_MAX: "1000000000",
  ...extra,
});

export const times = (value: number) => `${value.toFixed(2)}×`;
