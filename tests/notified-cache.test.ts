import { afterEach, expect, setSystemTime, test } from "bun:test";
import { createNotifiedCache } from "../src/lib/notified-cache.ts";

afterEach(() => setSystemTime());

/** A loader that counts its calls and answers with the current value of `source`. */
function counting<V>(source: { value: V }) {
  const load = async () => {
    load.calls++;
    return source.value;
  };
  load.calls = 0;
  return load;
}

test("untrusted (notifications not heard yet, or lost), every read goes to the source", async () => {
  const cache = createNotifiedCache<string>({ ttlMs: 60_000, maxEntries: 10 });
  const load = counting({ value: "a" });
  await cache.get("k", load);
  await cache.get("k", load);
  expect(load.calls).toBe(2);
  expect(cache.size).toBe(0);
});

test("trusted, an answer is kept until it is forgotten", async () => {
  const cache = createNotifiedCache<string>({ ttlMs: 60_000, maxEntries: 10 });
  cache.trust();
  const source = { value: "before" };
  const load = counting(source);
  expect(await cache.get("k", load)).toBe("before");
  source.value = "after";
  expect(await cache.get("k", load)).toBe("before");
  cache.forget("k");
  expect(await cache.get("k", load)).toBe("after");
  expect(load.calls).toBe(2);
});

test("a load that raced a change does not keep its stale answer", async () => {
  const cache = createNotifiedCache<string>({ ttlMs: 60_000, maxEntries: 10 });
  cache.trust();
  let release = () => {};
  const slow = cache.get("k", () => new Promise<string>((resolve) => (release = () => resolve("stale"))));
  cache.forget("k"); // the change commits while the load is still reading
  release();
  expect(await slow).toBe("stale");
  expect(await cache.get("k", async () => "fresh")).toBe("fresh");
});

test("losing notifications drops everything and stops keeping answers; hearing them again starts afresh", async () => {
  const cache = createNotifiedCache<string>({ ttlMs: 60_000, maxEntries: 10 });
  cache.trust();
  await cache.get("k", async () => "kept");
  cache.distrust();
  expect(cache.size).toBe(0);
  const load = counting({ value: "live" });
  await cache.get("k", load);
  await cache.get("k", load);
  expect(load.calls).toBe(2);
  cache.trust();
  await cache.get("k", load);
  await cache.get("k", load);
  expect(load.calls).toBe(3);
});

test("an answer dies at its TTL, or sooner at the expiry its value names", async () => {
  const cache = createNotifiedCache<{ until: number }>({ ttlMs: 10_000, maxEntries: 10 });
  cache.trust();
  const now = Date.now();
  setSystemTime(new Date(now));
  const load = counting({ value: { until: now + 2_000 } });
  await cache.get("soon", load, (value) => value.until);
  setSystemTime(new Date(now + 1_999));
  await cache.get("soon", load, (value) => value.until);
  expect(load.calls).toBe(1);
  setSystemTime(new Date(now + 2_001));
  await cache.get("soon", load, (value) => value.until);
  expect(load.calls).toBe(2);
  setSystemTime(new Date(now + 2_001 + 10_001));
  await cache.get("soon", load);
  expect(load.calls).toBe(3);
});

test("it never holds more than maxEntries", async () => {
  const cache = createNotifiedCache<number>({ ttlMs: 60_000, maxEntries: 5 });
  cache.trust();
  for (let i = 0; i < 50; i++) await cache.get(`k${i}`, async () => i);
  expect(cache.size).toBe(5);
});

test("forgetWhere drops exactly the matching answers", async () => {
  const cache = createNotifiedCache<{ org: string }>({ ttlMs: 60_000, maxEntries: 10 });
  cache.trust();
  for (const [key, org] of [
    ["a", "x"],
    ["b", "y"],
    ["c", "x"],
  ] as const)
    await cache.get(key, async () => ({ org }));
  cache.forgetWhere((value) => value.org === "x");
  expect(cache.size).toBe(1);
});
