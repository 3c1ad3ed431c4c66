import { createNotifiedCache } from "../../lib/notified-cache.ts";

/** A first page as the feed answers it: the JSON text PostgreSQL built, and the cursor of the next. */
export type FeedPage = { itemsJson: string; nextCursor: string | null };

type Cached = FeedPage & { expiresAt?: number };

export type FeedCacheOptions = {
  ttlMs?: number;
  maxEntries?: number;
  /** The pages' total size: a page of 100 activities is tens of kilobytes. */
  maxBytes?: number;
  /** ACTIVITY_RETENTION_DAYS, when set: a page dies before a purge may take its oldest activity. */
  retentionDays?: number;
};

/**
 * The first page of each organisation's feed, per instance, in a notified cache
 * (lib/notified-cache.ts) as the organisation's view is kept: most reads of a feed are its first
 * page, and it changes only when the log grows. Every activity's notification forgets the
 * organisation's pages (on the instance that wrote it, at its commit), so do the organisation's
 * deletion, and a dropped LISTEN connection (nothing is kept until it is back). Actor and target
 * are snapshots taken when the activity was written, so nothing else changes a page; rows only
 * leave by retention, and an entry dies before its oldest row may go. Deeper pages and other
 * filters are not kept: their keys would be many and their reads rare.
 */
export function createFeedCache({ ttlMs = 30_000, maxEntries = 5_000, maxBytes = 32 * 1024 * 1024, retentionDays }: FeedCacheOptions = {}) {
  // Strings are UTF-16 in memory: two bytes a character.
  const cache = createNotifiedCache<Cached>({ ttlMs, maxEntries, maxWeight: maxBytes, weigh: (page) => page.itemsJson.length * 2 });
  /**
   * Each organisation's keys (a handful: one per page size, type and ADMIN-or-not), so forgetting
   * one is not a scan of all. A key stays here after the cache drops its page, so once this names
   * more organisations than the cache can hold pages, it starts again from nothing, pages and
   * loads in flight included: a miss is always safe, a key that is not tracked is not.
   */
  const keysOf = new Map<string, Set<string>>();
  const clear = () => {
    cache.clear();
    keysOf.clear();
  };

  return {
    /**
     * The first page of `organisationId`'s feed in `variant` (page size, type filter, with or
     * without request context), from the cache or `load()`. `oldestAt`: when the page's oldest
     * activity was created.
     */
    async firstPage(
      organisationId: string,
      variant: string,
      load: () => Promise<FeedPage & { oldestAt: number | null }>,
    ): Promise<FeedPage> {
      const key = `${organisationId}|${variant}`;
      if (!keysOf.has(organisationId) && keysOf.size >= maxEntries) clear();
      const keys = keysOf.get(organisationId) ?? new Set<string>();
      keys.add(key);
      keysOf.set(organisationId, keys);
      return cache.get(
        key,
        async () => {
          const { oldestAt, ...page } = await load();
          return retentionDays && oldestAt !== null ? { ...page, expiresAt: oldestAt + retentionDays * 86_400_000 } : page;
        },
        (page) => page.expiresAt,
      );
    },

    /** The organisation's log grew, or it is gone: its next first page comes from the database. */
    forget(organisationId: string): void {
      for (const key of keysOf.get(organisationId) ?? []) cache.forget(key);
      keysOf.delete(organisationId);
    },

    trust() {
      keysOf.clear();
      cache.trust();
    },
    distrust() {
      keysOf.clear();
      cache.distrust();
    },
    get size() {
      return cache.size;
    },
    /** How many organisations' keys it tracks (never more than maxEntries). */
    get organisationsTracked() {
      return keysOf.size;
    },
  };
}

export type FeedCache = ReturnType<typeof createFeedCache>;
