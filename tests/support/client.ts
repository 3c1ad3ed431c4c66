import type { RouteConfig } from "@hono/zod-openapi";
import type { z } from "zod";
import { ERROR_CODES, type ErrorCode } from "../../src/lib/error-codes.ts";
import { ErrorEnvelope } from "../../src/lib/response.ts";

export type ApiResponse = { status: number; body: unknown; headers: Headers };

type CallOptions = { body?: unknown; token?: string; headers?: Record<string, string>; raw?: string };

/** A client that speaks real HTTP to a running instance (its base URL, or a getter for one started later). */
export function createClient(baseUrl: string | (() => string)) {
  const base = typeof baseUrl === "string" ? () => baseUrl : baseUrl;
  async function call(method: string, path: string, { body, token, headers, raw }: CallOptions = {}): Promise<ApiResponse> {
    const response = await fetch(`${base()}${path}`, {
      method,
      headers: {
        ...(body !== undefined || raw !== undefined ? { "content-type": "application/json" } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
      body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {}
    return { status: response.status, body: parsed, headers: response.headers };
  }
  return {
    call,
    get: (path: string, options?: CallOptions) => call("GET", path, options),
    post: (path: string, options?: CallOptions) => call("POST", path, options),
    patch: (path: string, options?: CallOptions) => call("PATCH", path, options),
    delete: (path: string, options?: CallOptions) => call("DELETE", path, options),
  };
}

export type Client = ReturnType<typeof createClient>;

type JsonSchemaOf<R extends RouteConfig, S extends keyof R["responses"]> = R["responses"][S] extends {
  content: { "application/json": { schema: infer T extends z.ZodType } };
}
  ? T
  : never;

/** Parses a response body with the route's own response schema: the contract, not just the status. */
export function parseWith<R extends RouteConfig, S extends keyof R["responses"] & number>(
  route: R,
  status: S,
  response: ApiResponse,
): z.output<JsonSchemaOf<R, S>> {
  if (response.status !== status) {
    throw new Error(
      `expected ${status} from ${route.method.toUpperCase()} ${route.path}, got ${response.status}: ${JSON.stringify(response.body)}`,
    );
  }
  const config = route.responses[status] as { content: { "application/json": { schema: z.ZodType } } };
  return config.content["application/json"].schema.parse(response.body) as z.output<JsonSchemaOf<R, S>>;
}

type SignedIn<T> = T extends { data: infer D } ? Omit<T, "data"> & { data: Exclude<D, { mfaRequired: true }> } : T;

/**
 * parseWith for a route that signs in (login, accept-invite), for an account with no second
 * factor: the answer must hold tokens, not a second step.
 */
export function parseSignIn<R extends RouteConfig, S extends keyof R["responses"] & number>(
  route: R,
  status: S,
  response: ApiResponse,
): SignedIn<z.output<JsonSchemaOf<R, S>>> {
  const parsed = parseWith(route, status, response) as { data?: object };
  if (parsed.data && "mfaRequired" in parsed.data) throw new Error(`expected tokens from ${route.path}, got a second step`);
  return parsed as SignedIn<z.output<JsonSchemaOf<R, S>>>;
}

/**
 * Parses a refusal with the one error envelope, after checking its status: its code is one of
 * that status (and `code`, when given), and its requestId is the x-request-id header's.
 */
export function refusalOf(status: number, response: ApiResponse, code?: ErrorCode): z.output<typeof ErrorEnvelope> {
  if (response.status !== status) throw new Error(`expected ${status}, got ${response.status}: ${JSON.stringify(response.body)}`);
  const refusal = ErrorEnvelope.parse(response.body);
  if (ERROR_CODES[refusal.code].status !== status) throw new Error(`code ${refusal.code} is not a ${status}`);
  if (code && refusal.code !== code) throw new Error(`expected code ${code}, got ${refusal.code}: ${refusal.message}`);
  if (refusal.requestId !== response.headers.get("x-request-id"))
    throw new Error(`requestId ${refusal.requestId} is not the x-request-id header`);
  return refusal;
}

/** What a refusal says, without what is unique to each request: two refusals that say the same thing compare equal. */
export const saying = (body: unknown) => {
  const { requestId: _, ...rest } = body as Record<string, unknown>;
  return rest;
};
