import type { Dataset } from "./dataset.ts";

/** One line of the results: our figure, its floor from the same run, and the target between them. */
export type Figure = { name: string; ours: string; floor: string; ratio: string; target: string; met: boolean; note?: string };

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
