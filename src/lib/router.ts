import { OpenAPIHono } from "@hono/zod-openapi";
import type { Env } from "hono";
import type { ZodError } from "zod";
import { type FieldError, fail } from "./response.ts";

/** One entry per offending field; an unknown key is named itself rather than reported on its parent. */
export const fieldErrors = (error: ZodError): FieldError[] =>
  error.issues.flatMap((issue) => {
    const path = issue.path.join(".");
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({ path: path ? `${path}.${key}` : key, message: "Unknown field" }));
    }
    return [{ path: path || "(body)", message: issue.message }];
  });

const TARGET_NAMES: Record<string, string> = { json: "request body", query: "query parameter", param: "path parameter" };

/**
 * A router whose validation failures all speak the envelope: 422 for a body that fails its
 * schema, 400 for a bad query or path parameter, each with `errors` naming the fields.
 */
export function createRouter<E extends Env>() {
  return new OpenAPIHono<E>({
    defaultHook: (result, c) => {
      if (result.success) return;
      const errors = fieldErrors(result.error);
      const what = TARGET_NAMES[result.target] ?? result.target;
      const fields = [...new Set(errors.map((error) => error.path))].join(", ");
      return fail(c, result.target === "json" ? "VALIDATION_FAILED" : "INVALID_PARAMETER", `Invalid ${what}: ${fields}`, errors);
    },
  });
}
