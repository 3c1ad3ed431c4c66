import type { ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { type CodeOfStatus, codeForStatus, type ErrorCode } from "./error-codes.ts";
import type { Logger } from "./logger.ts";
import { type FieldError, fail, failure } from "./response.ts";

/**
 * A rule of the product was broken. Services throw these; they know nothing of HTTP: the
 * code says which rule, and its status comes from the one table (lib/error-codes.ts).
 */
export class DomainError extends Error {
  override name = this.constructor.name;
  constructor(
    message: string,
    readonly code: ErrorCode,
  ) {
    super(message);
  }
}
export class BadRequestError extends DomainError {
  constructor(message: string, code: CodeOfStatus<400> = "BAD_REQUEST") {
    super(message, code);
  }
}
export class UnauthorizedError extends DomainError {
  constructor(message: string, code: CodeOfStatus<401> = "UNAUTHENTICATED") {
    super(message, code);
  }
}
export class ForbiddenError extends DomainError {
  constructor(message: string, code: CodeOfStatus<403> = "FORBIDDEN") {
    super(message, code);
  }
}
export class LimitExceededError extends DomainError {
  constructor(message: string) {
    super(message, "PLAN_LIMIT_REACHED");
  }
}
export class NotFoundError extends DomainError {
  constructor(message: string) {
    super(message, "NOT_FOUND");
  }
}
export class ConflictError extends DomainError {
  constructor(message: string, code: CodeOfStatus<409> = "CONFLICT") {
    super(message, code);
  }
}
export class GoneError extends DomainError {
  constructor(message: string, code: CodeOfStatus<410>) {
    super(message, code);
  }
}
/** A dependency answered, but not with what we asked for: nothing was changed here. */
export class BadGatewayError extends DomainError {
  constructor(message: string, code: CodeOfStatus<502>) {
    super(message, code);
  }
}
/** A dependency we cannot do without is down; the caller may try again after `retryAfterSeconds`. */
export class UnavailableError extends DomainError {
  constructor(
    message: string,
    code: CodeOfStatus<503>,
    readonly retryAfterSeconds: number,
  ) {
    super(message, code);
  }
}
/** A credential budget is spent; the caller may try again after `retryAfterSeconds`. */
export class TooManyAttemptsError extends DomainError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message, "RATE_LIMITED");
  }
}
/** Input that passed its schema but breaks a rule about one of its fields. */
export class InvalidInputError extends DomainError {
  constructor(
    message: string,
    readonly errors: FieldError[],
  ) {
    super(message, "VALIDATION_FAILED");
  }
}

const UNIQUE_VIOLATION = "23505";

const SQLSTATE = /^[0-9A-Z]{5}$/;
/** The SQLSTATE of a database error: `code` for node-postgres and PGlite, `errno` for Bun's client. */
const sqlState = (candidate: object): string | undefined =>
  [("code" in candidate && candidate.code) as unknown, ("errno" in candidate && candidate.errno) as unknown].find(
    (value): value is string => typeof value === "string" && SQLSTATE.test(value),
  );

/** The database's own error behind `error` (a Drizzle query error wraps it as `cause`), if any. */
function databaseErrorOf(error: unknown): (Record<string, unknown> & { sqlState: string }) | undefined {
  for (let current: unknown = error, depth = 0; current && depth < 3; current = (current as Error).cause, depth++) {
    const state = typeof current === "object" ? sqlState(current) : undefined;
    if (state) return { ...(current as Record<string, unknown>), sqlState: state };
  }
  return undefined;
}

const pgCode = (error: unknown): string | undefined => databaseErrorOf(error)?.sqlState;

/** A row referred to by an insert was gone (deleted by a concurrent transaction). */
export const isForeignKeyViolation = (error: unknown) => pgCode(error) === "23503";

// The database is not there (restarting, unreachable, every connection cut), as opposed to a
// query it refused: SQLSTATE class 08 (connection exception), 57P01–57P03 (shutdown, crash,
// not yet accepting), 53300 (too many connections), and Bun's client's own connection codes.
const UNAVAILABLE_STATES = new Set(["57P01", "57P02", "57P03", "53300"]);
const UNAVAILABLE_CLIENT_CODE =
  /^(ERR_POSTGRES_(CONNECTION_\w+|IDLE_TIMEOUT|LIFETIME_TIMEOUT|UNSUPPORTED_AUTHENTICATION_METHOD)|ECONNREFUSED|ECONNRESET|EPIPE)$/;

/** Whether `error` means the database cannot be reached now (a 503 and a retry), not that a query is wrong. */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current && depth < 4; current = (current as Error).cause, depth++) {
    if (typeof current !== "object") return false;
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && UNAVAILABLE_CLIENT_CODE.test(code)) return true;
    const state = sqlState(current);
    if (state && (state.startsWith("08") || UNAVAILABLE_STATES.has(state))) return true;
  }
  return false;
}

/** How long a client is told to wait before retrying while the database is unavailable. */
const DATABASE_RETRY_AFTER_SECONDS = 2;

// What a database error may say in the log: names of things, never values. Its message and
// detail are left out because PostgreSQL quotes the offending value in them ("invalid input
// syntax for type uuid: \"…\"", "Key (email)=(…) already exists").
const DATABASE_ERROR_FIELDS = ["severity", "schema", "table", "column", "dataType", "constraint", "routine"] as const;

/**
 * What an unexpected error may say in the log. A failed query is logged by its SQL text and
 * the names the database gives — never a message, a detail or Drizzle's own message and stack,
 * which embed the parameters (password hashes, token hashes, personal data).
 */
export function describeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { name: typeof error };
  const database = databaseErrorOf(error);
  if (database || ("query" in error && "params" in error)) {
    const fields = Object.fromEntries(DATABASE_ERROR_FIELDS.flatMap((field) => (database?.[field] ? [[field, database[field]]] : [])));
    return { name: error.name, ...("query" in error ? { query: error.query } : {}), code: database?.sqlState, ...fields };
  }
  return { name: error.name, message: error.message, stack: error.stack };
}

/** The one place errors become responses: every failure leaves in the same envelope, with its code. */
export function errorHandler<E extends { Variables: { requestId: string } }>(logger: Logger): ErrorHandler<E> {
  return (error, c) => {
    if (error instanceof DomainError) {
      if (error instanceof TooManyAttemptsError || error instanceof UnavailableError)
        c.header("retry-after", String(error.retryAfterSeconds));
      return fail(c, error.code, error.message, error instanceof InvalidInputError ? error.errors : undefined);
    }
    if (error instanceof HTTPException) {
      if (error.status === 415) return fail(c, "UNSUPPORTED_MEDIA_TYPE", "Send the body as JSON, with Content-Type: application/json");
      if (error.status === 400 && error.message.startsWith("Malformed JSON")) return fail(c, "MALFORMED_BODY", error.message);
      // Hono's own (bearerAuth, bodyLimit…): their status, with the generic code of it.
      return c.json(
        failure(codeForStatus(error.status), error.message || "Request could not be processed", c.get("requestId")),
        error.status,
      );
    }
    if (isDatabaseUnavailable(error)) {
      logger.warn("database unavailable", { error: describeError(error) });
      c.header("retry-after", String(DATABASE_RETRY_AFTER_SECONDS));
      return fail(c, "DATABASE_UNAVAILABLE", "The database cannot be reached right now; retry shortly");
    }
    // A race that the service's own checks could not see (two registrations of one email at
    // the same instant): the database's constraint decided, and the answer is a conflict.
    if (pgCode(error) === UNIQUE_VIOLATION) return fail(c, "CONFLICT", "This conflicts with an existing record");
    logger.error("unhandled error", { requestId: c.get("requestId"), error: describeError(error) });
    return fail(c, "INTERNAL_ERROR", "Internal server error");
  };
}

export const notFoundHandler: NotFoundHandler = (c) => fail(c, "NOT_FOUND", `Route not found: ${c.req.method} ${c.req.path}`);
