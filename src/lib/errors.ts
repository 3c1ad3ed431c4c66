import type { ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv } from "./app-env.ts";
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
];

const UNIQUE_VIOLATION = "23505";

const pgCode = (error: unknown): string | undefined => {
  const candidate = error instanceof Error && "cause" in error && error.cause ? error.cause : error;
  return typeof candidate === "object" && candidate && "code" in candidate ? String(candidate.code) : undefined;
};

/**
 * What an unexpected error may say in the log. A failed query is logged by its SQL text and
 * the database's own error — never Drizzle's message or stack, which embed the parameters
 * (password hashes, token hashes, personal data).
 */
export function describeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  const cause = error.cause instanceof Error ? error.cause : undefined;
  if ("query" in error && "params" in error) {
    return { name: error.name, query: error.query, cause: cause?.message, code: pgCode(error) };
  }
  return { name: error.name, message: error.message, stack: error.stack };
}

/** The one place errors become responses: every failure leaves in the same envelope. */
export function errorHandler(logger: Logger): ErrorHandler<AppEnv> {
  return (error, c) => {
    if (error instanceof DomainError) {
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

export const notFoundHandler: NotFoundHandler<AppEnv> = (c) =>
  c.json(failure(`Route not found: ${c.req.method} ${c.req.path}`), 404);
