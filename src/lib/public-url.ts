/**
 * Where people open the product, for the links in emails (and billing's return URLs): APP_URL
 * when the app has its own front end; else this server itself, which serves minimal pages at
 * those paths — known once it listens (PORT may be 0).
 */
export function createPublicUrl(configured: string | undefined) {
  let base = configured?.replace(/\/+$/, "");
  return {
    /** `path` under the public URL, with `query`. */
    to(path: string, query: Record<string, string> = {}): string {
      if (!base) throw new Error("the public URL is not known before the server listens");
      const url = new URL(path, `${base}/`);
      for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
      return url.toString();
    },
    /** The server listens on `port`: links point at it unless APP_URL says otherwise. */
    listening(port: number) {
      base ??= `http://localhost:${port}`;
    },
    get base() {
      return base;
    },
  };
}

export type PublicUrl = ReturnType<typeof createPublicUrl>;
