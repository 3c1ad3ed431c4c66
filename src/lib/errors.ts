import type { ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Logger } from "./logger.ts";
import { type FieldError, failure } from "./response.ts";

/** A rule of the product was broken. Services throw these; they know nothing of HTTP. */
export class DomainError extends Error {
  override name = this.constructor.name;
}
export class BadRequestError extends DomainError {}
export class UnauthorizedError extends DomainError {}
export class ForbiddenError extends DomainError {}
export class LimitExceededError extends DomainError {}
export class NotFoundError extends DomainError {}
export class ConflictError extends DomainError {}
export class GoneError extends DomainError {}
/** A credential budget is spent; the caller may try again after `retryAfterSeconds`. */
export class TooManyAttemptsError extends DomainError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}
/** Input that passed its schema but breaks a rule about one of its fields. */
export class InvalidInputError extends DomainError {
  constructor(
    message: string,
    readonly errors: FieldError[],
  ) {
    super(message);
  }
}

const STATUS_OF: ReadonlyArray<[abstract new (...args: never[]) => DomainError, ContentfulStatusCode]> = [
  [BadRequestError, 400],
  [UnauthorizedError, 401],
  [ForbiddenError, 403],
  [LimitExceededError, 403],
  [NotFoundError, 404],
  [ConflictError, 409],
  [GoneError, 410],
  [InvalidInputError, 422],
  [TooManyAttemptsError, 429],
];

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

/** The one place errors become responses: every failure leaves in the same envelope. */
export function errorHandler<E extends { Variables: { requestId: string } }>(logger: Logger): ErrorHandler<E> {
  return (error, c) => {
    if (error instanceof DomainError) {
      if (error instanceof TooManyAttemptsError) c.header("retry-after", String(error.retryAfterSeconds));
      const status = STATUS_OF.find(([type]) => error instanceof type)?.[1] ?? 400;
      return c.json(failure(error.message, error instanceof InvalidInputError ? error.errors : undefined), status);
    }
    if (error instanceof HTTPException) {
      const message =
        error.status === 415 ? "Send the body as JSON, with Content-Type: application/json" : error.message;
      return c.json(failure(message || "Request could not be processed"), error.status);
    }
    // A race that the service's own checks could not see (two registrations of one email at
    // the same instant): the database's constraint decided, and the answer is a conflict.
    if (pgCode(error) === UNIQUE_VIOLATION) {
      return c.json(failure("This conflicts with an existing record"), 409);
    }
    logger.error("unhandled error", { requestId: c.var.requestId, error: describeError(error) });
    return c.json(failure("Internal server error"), 500);
  };
}

export const notFoundHandler: NotFoundHandler = (c) =>
  c.json(failure(`Route not found: ${c.req.method} ${c.req.path}`), 404);
