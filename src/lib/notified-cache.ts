/**
 * A per-instance cache of answers that the database's notifications keep honest: whoever
 * changes what an entry says forgets it — locally right after the commit, and on every other
 * instance when the notification arrives.
 *
 * It is trusted only while notifications are heard. A dropped LISTEN connection loses them, so
 * until it is back (trust()) every read goes to the database and nothing is kept. A generation
 * counter keeps a load that raced a change from storing its stale answer, and each entry dies
 * at its TTL (or earlier, at the expiry its value names) to bound anything left.
 *
 * Written by hand: the libraries that cache (lru-cache and kin) know TTLs and sizes, not
 * "bypass me while the invalidation channel is down".
 */
export function createNotifiedCache<V>({
  ttlMs,
  maxEntries,
  maxWeight = Number.POSITIVE_INFINITY,
  weigh = () => 0,
}: {
  ttlMs: number;
  maxEntries: number;
  /** A bound on the entries' total `weigh(value)` as well (bytes, for values that vary in size), the oldest going first. */
  maxWeight?: number;
  weigh?: (value: V) => number;
}) {
  const entries = new Map<string, { value: V; expiresAt: number; weight: number }>();
  let generation = 0;
  let trusted = false;
  let weight = 0;

  const remove = (key: string) => {
    const entry = entries.get(key);
    if (!entry) return;
    weight -= entry.weight;
    entries.delete(key);
  };

  function clear() {
    generation++;
    entries.clear();
    weight = 0;
  }

  return {
    /**
     * The cached answer for `key`, or `load()`'s — kept when the cache is trusted, until the TTL
     * or `expiresAt(value)`, whichever comes first.
     */
    async get(key: string, load: () => Promise<V>, expiresAt?: (value: V) => number | undefined): Promise<V> {
      const cached = trusted ? entries.get(key) : undefined;
      if (cached && cached.expiresAt > Date.now()) return cached.value;
      if (cached) remove(key);

      const seen = generation;
      const value = await load();
      const heavy = weigh(value);
      if (trusted && seen === generation && heavy <= maxWeight) {
        remove(key);
        while (entries.size > 0 && (entries.size >= maxEntries || weight + heavy > maxWeight))
          remove(entries.keys().next().value as string);
        entries.set(key, {
          value,
          weight: heavy,
          expiresAt: Math.min(Date.now() + ttlMs, expiresAt?.(value) ?? Number.POSITIVE_INFINITY),
        });
        weight += heavy;
      }
      return value;
    },

    forget(key: string): void {
      generation++;
      remove(key);
    },

    forgetWhere(matches: (value: V) => boolean): void {
      generation++;
      for (const [key, entry] of entries) if (matches(entry.value)) remove(key);
    },

    /** Forgets everything, answers still being loaded included. */
    clear,

    /** Notifications are heard (again): start from nothing, and keep answers. */
    trust(): void {
      clear();
      trusted = true;
    },

    /** Notifications may be missed: ask the database every time until trusted again. */
    distrust(): void {
      clear();
      trusted = false;
    },

    get size(): number {
      return entries.size;
    },

    /** The entries' total weight now (never more than `maxWeight`). */
    get weight(): number {
      return weight;
    },
  };
}

export type NotifiedCache<V> = ReturnType<typeof createNotifiedCache<V>>;
