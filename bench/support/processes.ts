import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export type Spawned = { base: string; pid: number; stop(): Promise<void> };

/** A port free right now, for a server that does not say which port it took. */
export function freePort(): number {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const { port } = probe;
  probe.stop(true);
  return port;
}

/** SIGTERM, as an orchestrator sends it; SIGKILL if the process has not exited 15 s later. */
async function stopGracefully(child: Bun.Subprocess) {
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  await child.exited;
  clearTimeout(timer);
}

/**
 * Starts the API exactly as an operator does — `bun src/main.ts`, configured by environment —
 * and resolves once /ready answers: the API of this checkout, or of another one (`checkout`:
 * its root, for --compare).
 */
export async function spawnApi(env: Record<string, string>, checkout?: string): Promise<Spawned> {
  const port = freePort();
  // Checkouts from before the entry was split have src/index.ts.
  const root = checkout ? checkout.replace(/\/+$/, "") : fileURLToPath(new URL("../..", import.meta.url));
  const entry = existsSync(`${root}/src/main.ts`) ? `${root}/src/main.ts` : `${root}/src/index.ts`;
  const child = Bun.spawn(["bun", entry], {
    env: { ...process.env, NODE_ENV: "production", LOG_LEVEL: "warn", ...env, PORT: String(port) },
    stdout: "inherit",
    stderr: "inherit",
  });
  const base = `http://127.0.0.1:${port}`;
  for (let waited = 0; ; waited += 100) {
    if (child.exitCode !== null) throw new Error(`the API exited with ${child.exitCode} before it was ready`);
    const ready = await fetch(`${base}/ready`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) break;
    if (waited > 120_000) throw new Error("the API was not ready after 2 minutes");
    await Bun.sleep(100);
  }
  return {
    base,
    pid: child.pid,
    stop: () => stopGracefully(child),
  };
}

/**
 * Starts a server script in its own process, so the load generator never shares its event
 * loop, and resolves once it prints "READY <port>".
 */
export async function spawnReady(entry: string | URL, env: Record<string, string>): Promise<Spawned> {
  const path = entry instanceof URL ? fileURLToPath(entry) : entry;
  const child = Bun.spawn(["bun", path], {
    env: { ...process.env, PORT: "0", LOG_LEVEL: "error", ...env },
    stdout: "pipe",
    stderr: "inherit",
  });
  const reader = child.stdout.getReader();
  let output = "";
  while (!/READY \d+/.test(output)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`${path} exited before it was ready: ${output}`);
    output += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  void child.stdout.pipeTo(new WritableStream()); // keep draining, or a chatty server blocks
  const port = Number(output.match(/READY (\d+)/)?.[1]);
  return {
    base: `http://127.0.0.1:${port}`,
    pid: child.pid,
    stop: () => stopGracefully(child),
  };
}

/** Resident memory of a process, in MB (Linux). */
export async function rssMb(pid: number): Promise<number> {
  const status = await Bun.file(`/proc/${pid}/status`).text();
  return Number(status.match(/VmRSS:\s+(\d+) kB/)?.[1] ?? Number.NaN) / 1024;
}
