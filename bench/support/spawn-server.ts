import { fileURLToPath } from "node:url";

const API_ENTRY = fileURLToPath(new URL("./bench-server.ts", import.meta.url));

/**
 * Starts an API instance in its own process, so the load generator never shares its event
 * loop. Resolves once it prints the port it listens on.
 */
export async function spawnServer(env: Record<string, string>, args: string[] = [], entry = API_ENTRY) {
  const child = Bun.spawn(["bun", entry, ...args], {
    env: { ...process.env, PORT: "0", LOG_LEVEL: "warn", ...env },
    stdout: "pipe",
    stderr: "inherit",
  });
  const reader = child.stdout.getReader();
  let output = "";
  while (!output.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`bench server exited before it was ready: ${output}`);
    output += new TextDecoder().decode(value);
  }
  const port = Number(output.match(/READY (\d+)/)?.[1]);
  if (!port) throw new Error(`bench server did not report a port: ${output}`);
  return { base: `http://127.0.0.1:${port}`, stop: () => child.kill("SIGTERM"), exited: child.exited };
}
