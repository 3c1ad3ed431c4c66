import { createEmitter } from "./emitter.ts";
import type { TokenStorage, Tokens } from "./storage.ts";

export type SessionEvents = {
  /** The session ended: a refresh was refused (revoked, expired, reused) or the app signed out. */
  signedOut: [reason: string];
  /** New tokens (sign-in, refresh, switch). */
  tokens: [tokens: Tokens];
};

type Deps = { baseUrl: string; fetch: typeof fetch; storage: TokenStorage; refreshLeewaySeconds: number };

const claimsOf = (accessToken: string): { exp?: unknown; iat?: unknown } => {
  try {
    const [, payload] = accessToken.split(".");
    if (!payload) return {};
    const base64 = payload
      .replace(/-/g, "+")
      .replace(/_/g, "/")
      .padEnd(Math.ceil(payload.length / 4) * 4, "=");
    return JSON.parse(atob(base64));
  } catch {
    return {};
  }
};

/** When an access token expires (ms since epoch), read from its own claims; null when it cannot be read. */
export function expiryOf(accessToken: string): number | null {
  const { exp } = claimsOf(accessToken);
  return typeof exp === "number" ? exp * 1000 : null;
}

/**
 * When to replace a token: `leewayMs` before it expires, but never earlier than three quarters
 * into its life — with short-lived tokens (a server set to 5 s) a fixed leeway would refresh
 * again the moment a refresh returned.
 */
export function renewalDue(accessToken: string, leewayMs: number): number | null {
  const { exp, iat } = claimsOf(accessToken);
  if (typeof exp !== "number") return null;
  const lifetime = typeof iat === "number" ? (exp - iat) * 1000 : Number.POSITIVE_INFINITY;
  return exp * 1000 - Math.min(leewayMs, lifetime / 4);
}

/**
 * The session's tokens and their refresh. Refreshing is single-flight: however many requests
 * (and sockets) find the token expired at once, one POST /api/auth/refresh goes out and they
 * all wait for it — so the client never presents one refresh token twice and never trips the
 * server's reuse detection on itself. A refresh refused with 401 ends the session (`signedOut`),
 * once, with no retry loop; a network failure does not (the next call tries again).
 */
export function createSession({ baseUrl, fetch: send, storage, refreshLeewaySeconds }: Deps) {
  const events = createEmitter<SessionEvents>();
  let inFlight: Promise<string | null> | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const leewayMs = refreshLeewaySeconds * 1000;
  const expiringSoon = (token: string) => {
    const due = renewalDue(token, leewayMs);
    return due !== null && due <= Date.now();
  };

  function schedule(tokens: Tokens | null) {
    clearTimeout(timer);
    if (!tokens?.refreshToken) return;
    const due = renewalDue(tokens.accessToken, leewayMs);
    if (due === null) return;
    timer = setTimeout(() => void refresh(tokens.accessToken).catch(() => {}), Math.max(0, due - Date.now()));
    (timer as { unref?: () => void }).unref?.();
  }

  function set(tokens: Tokens | null) {
    storage.save(tokens);
    schedule(tokens);
    if (tokens) events.emit("tokens", tokens);
  }

  function end(reason: string) {
    const had = storage.load() !== null;
    set(null);
    if (had) events.emit("signedOut", reason);
  }

  /**
   * A fresh access token. `stale` is the one a caller saw refused: when the stored token is
   * already another (someone refreshed meanwhile), that one is the answer and nothing is sent.
   */
  function refresh(stale?: string): Promise<string | null> {
    const current = storage.load();
    if (!current) return Promise.resolve(null);
    if (stale !== undefined && current.accessToken !== stale) return Promise.resolve(current.accessToken);
    inFlight ??= (async () => {
      try {
        if (!current.refreshToken) {
          end("The access token expired and there is no refresh token");
          return null;
        }
        const response = await send(new URL("/api/auth/refresh", baseUrl), {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ refreshToken: current.refreshToken }),
        });
        if (response.status === 401 || response.status === 403) {
          const body = (await response.json().catch(() => ({}))) as { message?: string };
          end(body.message ?? "The session has ended");
          return null;
        }
        if (!response.ok) throw new Error(`refresh failed with ${response.status}`);
        const { data } = (await response.json()) as { data: { accessToken: string; refreshToken: string } };
        set({ accessToken: data.accessToken, refreshToken: data.refreshToken });
        return data.accessToken;
      } finally {
        inFlight = null;
      }
    })();
    return inFlight;
  }

  schedule(storage.load());

  return {
    on: events.on,
    tokens: () => storage.load(),
    set,
    end,
    refresh,
    /** The access token to send now, refreshed first when it is about to expire; null when signed out. */
    async accessToken(): Promise<string | null> {
      const current = storage.load();
      if (!current) return null;
      if (expiringSoon(current.accessToken) && current.refreshToken) return refresh(current.accessToken);
      return current.accessToken;
    },
    dispose: () => clearTimeout(timer),
  };
}

export type Session = ReturnType<typeof createSession>;
