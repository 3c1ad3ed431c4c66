import { fileURLToPath } from "node:url";

const ENTRY = fileURLToPath(new URL("../src/main.ts", import.meta.url));

/** One API process on a fixed port, which the soak can SIGKILL or SIGTERM and start again on the same port. */
export function createInstance(name: string, port: number, env: Record<string, string>) {
  let child: Bun.Subprocess | undefined;
  const base = `http://127.0.0.1:${port}`;
  const ready = async (timeoutMs: number) => {
    for (const started = performance.now(); performance.now() - started < timeoutMs; ) {
      const ok = await fetch(`${base}/ready`).then(
        (response) => response.ok,
        () => false,
      );
      if (ok) return true;
      await Bun.sleep(50);
    }
    return false;
  };
  return {
    name,
    base,
    get running() {
      return child !== undefined && child.exitCode === null;
    },
    async start() {
      child = Bun.spawn(["bun", ENTRY], {
        env: { ...process.env, ...env, PORT: String(port) },
        stdout: "ignore",
        stderr: "inherit",
      });
      if (!(await ready(60_000))) throw new Error(`${name} was not ready within 60 s`);
    },
    ready,
    /** The signal an orchestrator sends (SIGTERM) or a crash (SIGKILL); resolves once the process is gone. */
    async signal(signal: "SIGTERM" | "SIGKILL") {
      child?.kill(signal);
      await child?.exited;
    },
  };
}

export type Instance = ReturnType<typeof createInstance>;
