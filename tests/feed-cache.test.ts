// The feed's first page is answered from each instance's cache (modules/activity/feed-cache.ts).
// These prove it never shows a feed as it was: a new activity reaches the next first page on the
// instance that wrote it at once, and on every other one once it has heard of it; with LISTEN
// down nothing is kept; a page never outlives what retention purges; and it stays in its bounds.
import { describe, expect, test } from "bun:test";
import pg from "pg";
import { createFeedCache } from "../src/modules/activity/index.ts";
import { type Client, createClient } from "./support/client.ts";
import { testDatabase } from "./support/database.ts";
import { addMember, registerOrg, type Session, seedActivities } from "./support/fixtures.ts";
import { startTestServer, useTwoTestServers } from "./support/server.ts";
import { heardEverywhere } from "./support/socket.ts";

const { one, two, viaOne, viaTwo } = useTwoTestServers();

/** The messages of the first page of the feed, newest first, as `session` sees it through `client`. */
async function firstPage(client: Client, session: { accessToken: string }, query = "") {
  const response = await client.get(`/api/activities${query}`, { token: session.accessToken });
  expect(response.status).toBe(200);
  return (response.body as { data: { message: string }[] }).data.map((activity) => activity.message);
}

const broadcast = (client: Client, admin: Session, message: string) =>
  client.post("/api/organisations/broadcast", { token: admin.accessToken, body: { message } });

const everywhere = (admin: { accessToken: string }, change: () => Promise<unknown>) =>
  heardEverywhere([one().base, two().base], admin.accessToken, change);

describe("every new activity shows on the next first page, on every instance, once it has heard of it", () => {
  test("for ADMINs and members, any page size, with and without a type", async () => {
    const admin = await registerOrg(viaOne);
    const member = await addMember(viaOne, admin);
    const views = [
      [admin, ""],
      [member, ""],
      [admin, "?limit=2"],
      [member, "?type=BROADCAST_MESSAGE"],
    ] as const;
    for (let round = 0; round < 4; round++) {
      // Every variant is cached on both instances before each change.
      for (const client of [viaOne, viaTwo]) for (const [session, query] of views) await firstPage(client, session, query);
      const text = `round ${round}`;
      await everywhere(admin, () => broadcast(round % 2 ? viaTwo : viaOne, admin, text));
      for (const client of [viaOne, viaTwo])
        for (const [session, query] of views) expect((await firstPage(client, session, query))[0]).toContain(text);
    }
  });
});

test("a cached page is its organisation's and its reader's: another organisation, or a member after an ADMIN, never gets it", async () => {
  const a = await registerOrg(viaOne);
  const member = await addMember(viaOne, a);
  const b = await registerOrg(viaOne);
  await broadcast(viaOne, a, "only for a");
  await broadcast(viaOne, b, "only for b");
  const entries = async (session: { accessToken: string }) => {
    const response = await viaOne.get("/api/activities?limit=1", { token: session.accessToken });
    return (response.body as { data: { message: string; context?: unknown }[] }).data;
  };
  for (let round = 0; round < 2; round++) {
    // The second round is answered from the cache the first filled.
    const [asAdmin] = await entries(a);
    expect(asAdmin?.message).toBe("only for a");
    expect(asAdmin?.context).toBeDefined();
    const [asOther] = await entries(b);
    expect(asOther?.message).toBe("only for b");
    const [asMember] = await entries(member);
    expect(asMember?.message).toBe("only for a");
    expect(asMember?.context).toBeUndefined();
  }
});

test("the instance that writes forgets its cached pages at once, without waiting for its own notification", async () => {
  const deaf = await startTestServer();
  try {
    const client = createClient(deaf.base);
    const admin = await registerOrg(client);
    expect(await firstPage(client, admin)).toEqual([]);
    await deaf.bus.stop(); // no more notifications reach it, and it still trusts its cache
    for (let i = 0; i < 3; i++) {
      expect((await broadcast(client, admin, `local ${i}`)).status).toBe(201);
      expect((await firstPage(client, admin))[0]).toContain(`local ${i}`);
    }
  } finally {
    await deaf.stop();
  }
});

describe("while the LISTEN connection is down", () => {
  test.if(!!process.env.DATABASE_URL)("nothing is kept, so an activity written elsewhere still shows", async () => {
    const admin = await registerOrg(viaOne);
    expect(await firstPage(viaTwo, admin)).toEqual([]);
    const killer = new pg.Client({ connectionString: (await testDatabase()).url });
    await killer.connect();
    await killer.query("select pg_terminate_backend($1)", [two().bus.backendPid]);
    await killer.end();
    // Straight into the database: no instance announces it.
    await seedActivities(admin.organisation.id, 1);
    expect(await firstPage(viaTwo, admin)).toEqual(["seeded message number 1"]);
  });
  if (!process.env.DATABASE_URL)
    console.log("skipped: the LISTEN-down feed cache test needs a PostgreSQL server (the embedded database has no connection to kill)");
});

test("a cached page never outlives the retention of its oldest activity", async () => {
  const kept = await startTestServer({ ACTIVITY_RETENTION_DAYS: "30" });
  try {
    const client = createClient(kept.base);
    const admin = await registerOrg(client);
    // Purgeable 1.5 s from now.
    await seedActivities(admin.organisation.id, 3, 30 - 1.5 / 86_400);
    expect(await firstPage(client, admin)).toHaveLength(3);
    await Bun.sleep(1_600);
    expect(await kept.retention?.purgeNow()).toBeGreaterThanOrEqual(3);
    expect(await firstPage(client, admin)).toEqual([]);
  } finally {
    await kept.stop();
  }
});

describe("its bounds", () => {
  const page = (bytes: number) => ({ itemsJson: "x".repeat(bytes / 2), nextCursor: null, oldestAt: null });

  test("the pages' total size stays under maxBytes, the oldest going first; a page larger than that is not kept", async () => {
    const cache = createFeedCache({ maxBytes: 10_000, maxEntries: 1_000 });
    cache.trust();
    let loads = 0;
    const load = (bytes: number) => async () => {
      loads++;
      return page(bytes);
    };
    for (let i = 0; i < 50; i++) await cache.firstPage(`org-${i}`, "50||", load(1_000));
    expect(cache.size).toBe(10);
    await cache.firstPage("org-49", "50||", load(1_000));
    expect(loads).toBe(50); // the newest is still there
    await cache.firstPage("org-0", "50||", load(1_000));
    expect(loads).toBe(51); // the oldest went
    await cache.firstPage("big", "50||", load(20_000));
    await cache.firstPage("big", "50||", load(20_000));
    expect(loads).toBe(53);
    expect(cache.size).toBeLessThanOrEqual(10);
  });

  test("it tracks no more organisations than it can hold pages, and a page kept after it started again is still forgotten", async () => {
    const cache = createFeedCache({ maxEntries: 10 });
    cache.trust();
    let loads = 0;
    const load = async () => {
      loads++;
      return page(100);
    };
    for (let i = 0; i < 100; i++) await cache.firstPage(`org-${i}`, "50||", load);
    expect(cache.organisationsTracked).toBeLessThanOrEqual(10);
    expect(cache.size).toBeLessThanOrEqual(10);
    await cache.firstPage("org-99", "50||", load);
    expect(loads).toBe(100); // still cached
    cache.forget("org-99");
    await cache.firstPage("org-99", "50||", load);
    expect(loads).toBe(101);
  });

  test("until notifications are heard, nothing is kept", async () => {
    const cache = createFeedCache();
    let loads = 0;
    for (let i = 0; i < 3; i++)
      await cache.firstPage("org", "50||", async () => {
        loads++;
        return page(100);
      });
    expect(loads).toBe(3);
    expect(cache.size).toBe(0);
  });
});
