/** A session's tokens, as the client keeps them. */
export type Tokens = { accessToken: string; refreshToken: string | null };

/** Where the client keeps the tokens: memory by default; pass `localStorageTokens()` in a browser to survive reloads. */
export type TokenStorage = { load(): Tokens | null; save(tokens: Tokens | null): void };

export const memoryTokens = (): TokenStorage => {
  let tokens: Tokens | null = null;
  return {
    load: () => tokens,
    save: (next) => {
      tokens = next;
    },
  };
};

/** The browser's localStorage under `key` (readable by any script on the origin: weigh that against surviving a reload). */
export const localStorageTokens = (key = "saas-backend.session"): TokenStorage => ({
  load() {
    const raw = globalThis.localStorage?.getItem(key);
    if (!raw) return null;
    try {
      return JSON.parse(raw) as Tokens;
    } catch {
      return null;
    }
  },
  save(tokens) {
    if (tokens) globalThis.localStorage?.setItem(key, JSON.stringify(tokens));
    else globalThis.localStorage?.removeItem(key);
  },
});
