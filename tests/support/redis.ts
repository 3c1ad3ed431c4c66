import { createServer } from "node:net";

/** Whether a redis-server binary is on this machine (Debian's redis-server package). */
export const redisBinary = Bun.which("redis-server") !== null;

const freePort = () =>
  new Promise<number>((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });

/** A Redis of the test's own on a free port, which the test can take away and bring back on the same port. */
export async function startRedis() {
  const port = await freePort();
  let child: ReturnType<typeof Bun.spawn> | undefined;
  const ping = () =>
    Bun.spawnSync(["redis-cli", "-p", String(port), "ping"])
      .stdout.toString()
      .trim() === "PONG";
  const start = async () => {
    child = Bun.spawn(["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
      stdout: "ignore",
      stderr: "ignore",
    });
    for (let waited = 0; !ping(); waited += 50) {
      if (waited > 5000) throw new Error(`redis-server did not start on port ${port}`);
      await Bun.sleep(50);
    }
  };
  const stop = async () => {
    child?.kill("SIGKILL");
    await child?.exited;
    child = undefined;
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, start, stop };
}
