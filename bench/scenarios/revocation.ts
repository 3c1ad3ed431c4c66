// revocationLag: two API processes on one database. A session is warmed into instance two's
// cache, logged out through instance one, and instance two is polled from the moment the logout
// is sent. Two figures: how long after the logout was sent instance two refuses (the first
// refused poll's send time; p99 across trials), and how many polls sent after the logout's
// answer were let through (the promise: none).
import { BENCH_PASSWORD, BENCH_SECRETS } from "../support/dataset.ts";
import { apiEnvOf, type Figure, type ScenarioOptions } from "../support/figures.ts";
import { spawnApi } from "../support/processes.ts";
import { percentile, round } from "../support/stats.ts";

type Pair = { accessToken: string; refreshToken: string };

const post = async (url: string, body: unknown, token?: string) => {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as { data: Pair } };
};

export async function revocationLagFigure({ dataset, quick }: ScenarioOptions): Promise<Figure> {
  const trials = quick ? 30 : 150;
  const env = apiEnvOf(dataset, BENCH_SECRETS);
  const [one, two] = await Promise.all([spawnApi(env), spawnApi(env)]);
  const lags: number[] = [];
  let letThrough = 0;
  try {
    const member = dataset.regular[0]?.members[0];
    if (!member) throw new Error("no member to sign in");
    for (let trial = 0; trial < trials; trial++) {
      const { body } = await post(`${one.base}/api/auth/login`, { email: member.email, password: BENCH_PASSWORD });
      const session = body.data;
      const read = () => fetch(`${two.base}/api/organisations`, { headers: { authorization: `Bearer ${session.accessToken}` } });
      if ((await read()).status !== 200) throw new Error("the session was not live on instance two");
      let answeredAt = Number.POSITIVE_INFINITY;
      let refusedSentAt = Number.NaN;
      const logoutSentAt = performance.now();
      const polling = (async () => {
        for (;;) {
          const sentAt = performance.now();
          const status = (await read()).status;
          if (status === 401) {
            refusedSentAt = sentAt;
            return;
          }
          if (sentAt > answeredAt) letThrough++;
        }
      })();
      await post(`${one.base}/api/auth/logout`, { refreshToken: session.refreshToken }, session.accessToken);
      answeredAt = performance.now();
      await polling;
      lags.push(refusedSentAt - logoutSentAt);
    }
  } finally {
    await Promise.all([one.stop(), two.stop()]);
  }
  const p99 = percentile(lags, 99);
  return {
    name: "revocationLag",
    ours: `refused on instance two from p99 ${round(p99, 2)} ms (max ${round(Math.max(...lags), 2)} ms) after the logout was sent; ${letThrough} let through after its answer`,
    floor: `${trials} logouts through instance one, instance two polled throughout`,
    ratio: `${letThrough} let through`,
    target: "0 let through after the answer",
    met: letThrough === 0,
  };
}
