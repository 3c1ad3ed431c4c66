import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ERROR_CODE_NAMES, ERROR_CODES, type ErrorCode } from "./error-codes.ts";

/** A field-level problem, as listed in a 4xx envelope's `errors`. */
export type FieldError = { path: string; message: string };

export const ok = <T>(message: string, data: T) => ({ success: true as const, message, data });

export const okList = <T>(message: string, data: T[], nextCursor: string | null) => ({
  success: true as const,
  message,
  data,
  meta: { nextCursor },
});

/**
 * okList's envelope around items that are JSON text already (an array the database built), as a
 * 200 response through `c.body` (so it keeps the headers middleware set, x-request-id first).
 * Typed as whatever the route declares (`never`): the text is built to the route's schema, and
 * the tests parse it with that very schema.
 */
export const okListJsonResponse = (c: Context, message: string, itemsJson: string, nextCursor: string | null): never =>
  c.body(
    `{"success":true,"message":${JSON.stringify(message)},"data":${itemsJson},"meta":{"nextCursor":${JSON.stringify(nextCursor)}}}`,
    200,
    {
      "content-type": "application/json",
    },
  ) as never;

/** The one error envelope: a stable `code`, a sentence for people, and the request's id for a support ticket. */
export const failure = (code: ErrorCode, message: string, requestId: string, errors?: FieldError[]) => ({
  success: false as const,
  code,
  message,
  data: null,
  requestId,
  ...(errors ? { errors } : {}),
});

/** Answers with the error envelope, at the status its `code` has (lib/error-codes.ts). */
export const fail = (c: Context, code: ErrorCode, message: string, errors?: FieldError[]) =>
  c.json(failure(code, message, c.get("requestId") ?? "", errors), ERROR_CODES[code].status as ContentfulStatusCode);

export const envelopeOf = <T extends z.ZodType>(data: T) => z.object({ success: z.literal(true), message: z.string(), data });

export const listEnvelopeOf = <T extends z.ZodType>(item: T) =>
  z.object({
    success: z.literal(true),
    message: z.string(),
    data: z.array(item),
    meta: z.object({ nextCursor: z.string().nullable() }),
  });

export const ErrorCodeSchema = z.enum(ERROR_CODE_NAMES).openapi("ErrorCode", {
  description: "Stable and machine-readable: branch on this, not on `message`. The README lists what each means.",
});

export const ErrorEnvelope = z
  .object({
    success: z.literal(false),
    code: ErrorCodeSchema,
    message: z.string().openapi({ example: "Invalid request body: email" }),
    data: z.null(),
    requestId: z.string().openapi({ description: "This request's id, as in the x-request-id header: quote it in a support ticket" }),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .openapi("Error");

export const jsonContent = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { "application/json": { schema } },
  description,
});

/** A required JSON request body. */
export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  body: { content: { "application/json": { schema } }, required: true },
});

const ERROR_DESCRIPTIONS = {
  400: "Malformed JSON or a bad parameter",
  401: "Missing, invalid, expired or revoked credentials",
  403: "Role or plan does not allow this",
  404: "Not found in your organisation",
  409: "Conflicts with the current state",
  410: "Expired",
  413: "Body over the size limit",
  422: "Body fails its schema; `errors` names each field",
  429: "Rate limited; see `retry-after`",
  502: "A provider we depend on refused the request; nothing was changed",
  503: "A dependency cannot be reached; retry after `retry-after`",
} as const;

export type ErrorStatus = keyof typeof ERROR_DESCRIPTIONS;

/** The error responses a route declares, all in the one error envelope. */
export function errorResponses<const S extends readonly ErrorStatus[]>(...statuses: S) {
  const always = [400, 413, 429] as const;
  return Object.fromEntries(
    [...new Set([...always, ...statuses])].map((status) => [status, jsonContent(ErrorEnvelope, ERROR_DESCRIPTIONS[status])]),
  ) as { [K in S[number] | (typeof always)[number]]: ReturnType<typeof jsonContent<typeof ErrorEnvelope>> };
}

type OpenApiOperation = { requestBody?: unknown; responses?: Record<string, unknown> };

/**
 * Every operation that takes a JSON body also answers 415 to a body that is not JSON (the
 * validator's content-type check, shaped by errorHandler). Added to the document here, once,
 * so that no route can forget it.
 */
export function declareUnsupportedMediaType<D extends { paths?: object }>(document: D): D {
  for (const item of Object.values(document.paths ?? {}) as (object | undefined)[]) {
    for (const operation of Object.values(item ?? {}) as OpenApiOperation[]) {
      if (!operation?.requestBody || !operation.responses || operation.responses["415"]) continue;
      operation.responses["415"] = {
        description: "Body is not JSON: send it with Content-Type: application/json",
        content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
      };
    }
  }
  return document;
}
