import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** wrk, installed from Debian when missing (a JavaScript load generator on the same cores flattens every figure). */
export async function ensureWrk(): Promise<void> {
  if (Bun.which("wrk")) return;
  console.log("wrk is not installed: installing it from Debian (apt-get install wrk)…");
  const sudo = process.getuid?.() === 0 ? [] : ["sudo"];
  const install = Bun.spawnSync([...sudo, "apt-get", "install", "-y", "-q", "wrk"], { stdout: "inherit", stderr: "inherit" });
  if (install.exitCode !== 0 || !Bun.which("wrk")) {
    const update = Bun.spawnSync([...sudo, "apt-get", "update", "-q"], { stdout: "inherit", stderr: "inherit" });
    const retry =
      update.exitCode === 0
        ? Bun.spawnSync([...sudo, "apt-get", "install", "-y", "-q", "wrk"], { stdout: "inherit", stderr: "inherit" })
        : undefined;
    if (retry?.exitCode !== 0 || !Bun.which("wrk"))
      throw new Error("could not install wrk; install it (Debian: apt-get install wrk) and run again");
  }
}

export type WrkResult = { rps: number; p50: number; p99: number; errors: number };

/** Runs wrk against `url`, each request carrying the next of `tokens` as its bearer token. */
export async function wrk(
  url: string,
  tokens: string[],
  { seconds, connections }: { seconds: number; connections: number },
): Promise<WrkResult> {
  const dir = mkdtempSync(join(tmpdir(), "wrk-"));
  const script = join(dir, "tokens.lua");
  writeFileSync(
    script,
    `local tokens = { ${tokens.map((token) => `"${token}"`).join(", ")} }
local i = math.random(#tokens)
request = function()
  i = i % #tokens + 1
  return wrk.format(nil, nil, { ["Authorization"] = "Bearer " .. tokens[i] })
end
`,
  );
  const child = Bun.spawn(["wrk", "-t2", `-c${connections}`, `-d${seconds}s`, "--latency", "-s", script, url], {
    stdout: "pipe",
    stderr: "inherit",
  });
  const report = await new Response(child.stdout).text();
  const ms = (label: string) => {
    const [, value = "NaN", unit = "ms"] = report.match(new RegExp(`${label}%\\s+([\\d.]+)(us|ms|s)`)) ?? [];
    return Number(value) * { us: 0.001, ms: 1, s: 1000 }[unit as "us" | "ms" | "s"];
  };
  const non2xx = Number(report.match(/Non-2xx or 3xx responses: (\d+)/)?.[1] ?? 0);
  const socketErrors =
    report
      .match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/)
      ?.slice(1)
      .map(Number) ?? [];
  return {
    rps: Number(report.match(/Requests\/sec:\s+([\d.]+)/)?.[1]),
    p50: ms("50"),
    p99: ms("99"),
    errors: non2xx + socketErrors.reduce((a, b) => a + b, 0),
  };
}
