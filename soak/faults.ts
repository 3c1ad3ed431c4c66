import pg from "pg";
import type { Instance } from "./instance.ts";

export type Fault = { name: string; startedAt: number; endedAt: number; readyAfterMs: number | null };

type Targets = {
  instances: [Instance, Instance];
  redis: { stop(): Promise<void>; start(): Promise<void> };
  smtp: { stop(): Promise<void>; start(): Promise<void> };
  /** The soak's database, as its superuser reaches it (to terminate the API's connections). */
  adminUrl: string;
  database: string;
};

const restartPostgres = async () => {
  const versions = Bun.spawnSync(["ls", "/etc/postgresql"]).stdout.toString().trim().split("\n");
  const restart = Bun.spawnSync(["pg_ctlcluster", "--skip-systemctl-redirect", versions[0] ?? "15", "main", "restart"], {
    stderr: "inherit",
  });
  if (restart.exitCode !== 0) throw new Error("pg_ctlcluster restart failed: the soak needs the local cluster and the right to restart it");
};

/** The six faults, each at its fraction of the run; `scale` shortens the outages of a short run. */
export function faultPlan({ instances: [a, b], redis, smtp, adminUrl, database }: Targets, scale: number) {
  const hold = (seconds: number) => Bun.sleep(Math.max(2, seconds * scale) * 1000);
  return [
    { at: 0.1, name: "PostgreSQL restart", run: restartPostgres },
    {
      at: 0.25,
      name: `SIGKILL of ${a.name}`,
      run: () =>
        a
          .signal("SIGKILL")
          .then(() => hold(5))
          .then(a.start),
    },
    {
      at: 0.4,
      name: "Redis down 30 s",
      run: () =>
        redis
          .stop()
          .then(() => hold(30))
          .then(redis.start),
    },
    {
      at: 0.55,
      name: "SMTP relay down 60 s",
      run: () =>
        smtp
          .stop()
          .then(() => hold(60))
          .then(smtp.start),
    },
    { at: 0.72, name: `SIGTERM of ${b.name}`, run: () => b.signal("SIGTERM").then(b.start) },
    {
      at: 0.86,
      name: "every connection of the API terminated",
      run: async () => {
        const admin = new pg.Client({ connectionString: adminUrl });
        await admin.connect();
        await admin.query("select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()", [
          database,
        ]);
        await admin.end();
      },
    },
  ];
}

/** Runs `plan` over `durationMs`, recording each fault's window and how soon every instance was ready after it. */
export async function runFaults(
  plan: ReturnType<typeof faultPlan>,
  instances: Instance[],
  durationMs: number,
  started: number,
): Promise<Fault[]> {
  const done: Fault[] = [];
  for (const fault of plan) {
    const due = started + fault.at * durationMs;
    if (due > Date.now()) await Bun.sleep(due - Date.now());
    const startedAt = Date.now();
    console.log(`fault: ${fault.name}`);
    await fault.run();
    const endedAt = Date.now();
    const everyReady = await Promise.all(instances.map((instance) => instance.ready(30_000)));
    done.push({ name: fault.name, startedAt, endedAt, readyAfterMs: everyReady.every(Boolean) ? Date.now() - endedAt : null });
  }
  return done;
}
