import type { LogLevel } from "../config/env.ts";

type Fields = Record<string, unknown>;
type Level = Exclude<LogLevel, "silent">;

export type Logger = Record<Level, (message: string, fields?: Fields) => void>;

const SEVERITY: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

const writeStdout = (line: string) => process.stdout.write(`${line}\n`);

/**
 * One JSON object per line. Nothing here redacts: callers log identifiers, never request
 * bodies, headers or query strings, which is what keeps secrets out (see request-log.ts).
 */
export function createLogger(level: LogLevel, write: (line: string) => void = writeStdout): Logger {
  const threshold = SEVERITY[level];
  const emit = (lineLevel: Level) => (message: string, fields?: Fields) => {
    if (SEVERITY[lineLevel] < threshold) return;
    write(JSON.stringify({ time: new Date().toISOString(), level: lineLevel, msg: message, ...fields }));
  };
  return { debug: emit("debug"), info: emit("info"), warn: emit("warn"), error: emit("error") };
}
