// The client SDK: typed REST (openapi-fetch over types generated from the API's OpenAPI
// document), a session that refreshes once for any number of requests, and realtime
// connections that deliver every event once, in order.
//
// openapi-fetch rather than Hono's `hc`: `hc` needs the server's TypeScript types at build time
// (the whole app type, its dependencies with it), so a client in another repository or language
// could not use the same contract; the OpenAPI document is that contract, published at
// /docs/spec, and openapi-typescript turns it into plain types with no runtime of their own.
import createFetchClient from "openapi-fetch";
import type { paths } from "./generated/api-types.ts";
import { type BackoffOptions, createRealtimeConnection, type HeartbeatOptions, type WebSocketConstructor } from "./realtime.ts";
import { createSession } from "./session.ts";
import { memoryTokens, type TokenStorage, type Tokens } from "./storage.ts";

export type { components, paths } from "./generated/api-types.ts";
export type {
  ActivityMessage,
  ConnectedPayload,
  ConnectionState,
  RealtimeConnection,
  RealtimeEvents,
  ServerMessage,
  WebSocketLike,
} from "./realtime.ts";
export { expiryOf } from "./session.ts";
export { localStorageTokens, memoryTokens, type TokenStorage, type Tokens } from "./storage.ts";

export type ClientOptions = {
  /** The API's origin, e.g. https://api.example.com */
  baseUrl: string;
  /** Where there is no global WebSocket (Node 20): the `ws` package's, say. */
  WebSocket?: WebSocketConstructor;
  fetch?: typeof fetch;
  /** Memory by default; `localStorageTokens()` in a browser to survive reloads. */
  storage?: TokenStorage;
  /** How long before an access token expires it is refreshed (default 30 s). */
  refreshLeewaySeconds?: number;
  /** Reconnect delays: full jitter from `initialMs` (500) to `maxMs` (20 000), reset after `stableMs` (10 000) open. */
  backoff?: BackoffOptions;
  /** PING after `intervalMs` (25 000) of quiet; a socket silent `timeoutMs` (10 000) longer is reconnected. */
  heartbeat?: HeartbeatOptions;
  /** For tests: the source of the backoff's jitter. */
  random?: () => number;
};

/** Paths the session must not put a bearer token on, nor refresh for: they are how tokens are made. */
const UNAUTHENTICATED = new Set(["/api/auth/login", "/api/auth/register", "/api/auth/refresh", "/api/auth/2fa/verify"]);

type LoginBody = paths["/api/auth/login"]["post"]["requestBody"]["content"]["application/json"];
type RegisterBody = paths["/api/auth/register"]["post"]["requestBody"]["content"]["application/json"];

export function createClient(options: ClientOptions) {
  const baseFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const session = createSession({
    baseUrl: options.baseUrl,
    fetch: baseFetch,
    storage: options.storage ?? memoryTokens(),
    refreshLeewaySeconds: options.refreshLeewaySeconds ?? 30,
  });

  /** Every request: the session's token on it, and once on a 401 a refresh (shared with every other request) and a retry. */
  async function authedFetch(request: Request): Promise<Response> {
    if (UNAUTHENTICATED.has(new URL(request.url).pathname)) return baseFetch(request as unknown as Parameters<typeof fetch>[0]);
    const token = await session.accessToken();
    const attempt = (bearer: string | null) => {
      const sent = request.clone();
      if (bearer) sent.headers.set("authorization", `Bearer ${bearer}`);
      return baseFetch(sent as unknown as Parameters<typeof fetch>[0]);
    };
    const response = await attempt(token);
    if (response.status !== 401 || !token) return response;
    const fresh = await session.refresh(token);
    return fresh ? attempt(fresh) : response;
  }

  const api = createFetchClient<paths>({ baseUrl: options.baseUrl, fetch: authedFetch });

  /** Keeps the tokens of an answer that holds them. */
  const keep = <T>(data: T): T => {
    if (data && typeof data === "object" && "accessToken" in data && "refreshToken" in data) {
      const { accessToken, refreshToken } = data as unknown as Tokens;
      session.set({ accessToken, refreshToken });
    }
    return data;
  };

  const WebSocketImpl = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;

  return {
    /** Every route of the API, typed: `const { data, error } = await client.api.GET("/api/organisations")`. */
    api,
    on: session.on,
    auth: {
      /** Signs in; with a second factor, the answer is `{ mfaRequired, mfaToken, methods }` and `verifySecondStep` finishes it. */
      async login(body: LoginBody) {
        const result = await api.POST("/api/auth/login", { body });
        if (result.data) keep(result.data.data);
        return result;
      },
      async verifySecondStep(body: paths["/api/auth/2fa/verify"]["post"]["requestBody"]["content"]["application/json"]) {
        const result = await api.POST("/api/auth/2fa/verify", { body });
        if (result.data) keep(result.data.data);
        return result;
      },
      async register(body: RegisterBody) {
        const result = await api.POST("/api/auth/register", { body });
        if (result.data) keep(result.data.data);
        return result;
      },
      async switchOrganisation(organisationId: string) {
        const result = await api.POST("/api/auth/switch-organisation", { body: { organisationId } });
        if (result.data) keep(result.data.data);
        return result;
      },
      /** Signs out on the server (`local` by default) and forgets the tokens. */
      async logout(scope: "local" | "others" | "global" = "local") {
        const refreshToken = session.tokens()?.refreshToken;
        const result = refreshToken ? await api.POST("/api/auth/logout", { body: { refreshToken, scope } }) : undefined;
        if (scope !== "others") session.end("Signed out");
        return result;
      },
      /** Uses tokens the app got elsewhere (a page handed an access token, say); a null refresh token means no refresh. */
      useTokens: (tokens: Tokens) => session.set(tokens),
      tokens: session.tokens,
      refresh: () => session.refresh(),
    },
    realtime: {
      /** One realtime connection, resuming after `since` (default: from now). */
      connect(connectOptions: { since?: string } = {}) {
        if (!WebSocketImpl) throw new Error("No WebSocket here: pass one as createClient({ WebSocket })");
        return createRealtimeConnection(
          {
            baseUrl: options.baseUrl,
            session,
            WebSocket: WebSocketImpl,
            backoff: { initialMs: 500, maxMs: 20_000, stableMs: 10_000, ...options.backoff },
            heartbeat: { intervalMs: 25_000, timeoutMs: 10_000, ...options.heartbeat },
            random: options.random ?? Math.random,
          },
          connectOptions,
        );
      },
    },
    /** Stops the session's refresh timer (a script that exits, a test). */
    dispose: session.dispose,
  };
}

export type Client = ReturnType<typeof createClient>;
