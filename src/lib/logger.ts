import { AsyncLocalStorage } from "node:async_hooks";
import { createRequire } from "node:module";
import pino, { type DestinationStream } from "pino";
import type { LogLevel } from "../config/env.ts";

type Fields = Record<string, unknown>;
type Level = Exclude<LogLevel, "silent">;

/** What the code calls: a message, then the fields that go with it. */
export type Logger = Record<Level, (message: string, fields?: Fields) => void>;

/** The request being handled, written on every line logged while it is (request id, trace id). */
const requestContext = new AsyncLocalStorage<Fields>();

/** Runs `fn` with `context` on every log line it leads to, across awaits. */
export const withLogContext = <T>(context: Fields, fn: () => T): T => requestContext.run(context, fn);

/**
 * Secret-bearing fields, wherever they sit in what is logged, are replaced before a line is
 * written. The first defence is that nothing logs bodies, headers or query strings (see
 * middleware/request-log.ts); this is the second, for a field someone adds one day.
 */
const REDACTED = [
  "password",
  "currentPassword",
  "newPassword",
  "token",
  "accessToken",
  "refreshToken",
  "mfaToken",
  "code",
  "recoveryCode",
  "recoveryCodes",
  "secret",
  "otpauthUrl",
  "authorization",
  "cookie",
  "headers.authorization",
  "headers.cookie",
];
const redact = { paths: [...REDACTED, ...REDACTED.map((path) => `*.${path}`)], censor: "[redacted]" };

/** pino-pretty in a developer's terminal; it is a development dependency, so production never loads it. */
function prettyStream(): DestinationStream | undefined {
  try {
    const pretty = createRequire(import.meta.url)("pino-pretty") as (options: object) => DestinationStream;
    return pretty({ colorize: true, translateTime: "HH:MM:ss.l", ignore: "pid,hostname" });
  } catch {
    return undefined;
  }
}

/**
 * pino: one JSON object per line (`time`, `level`, `msg`, then the fields), with the request's
 * id and trace id on every line written while it is handled. `write` receives each line instead
 * of stdout (tests read them); `pretty` asks for pino-pretty (development, in a terminal).
 */
export function createLogger(level: LogLevel, write?: (line: string) => void, { pretty = false } = {}): Logger {
  const destination: DestinationStream = write
    ? { write: (line: string) => write(line.trimEnd()) }
    : (pretty && prettyStream()) || pino.destination(1);
  const base = pino(
    {
      level,
      messageKey: "msg",
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact,
      mixin: () => requestContext.getStore() ?? {},
    },
    destination,
  );
  const at =
    (lineLevel: Level) =>
    (message: string, fields?: Fields): void =>
      base[lineLevel](fields ?? {}, message);
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}
