// The realtime hub on its own, with its two reads injected: each interleaving is forced, not
// hoped for under load.
import { describe, expect, test } from "bun:test";
import type { AuthContext } from "../src/lib/auth-context.ts";
import { createLogger } from "../src/lib/logger.ts";
import type { Activity } from "../src/modules/activity/activity.schemas.ts";
import { CLOSE } from "../src/realtime/events.ts";
import { createHub } from "../src/realtime/hub.ts";
import type { HubSocket } from "../src/realtime/socket.ts";

const ORG = "00000000-0000-4000-8000-000000000001";

/** A promise the test resolves when it chooses. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** An organisation's activity log in memory, and a hub reading it through reads the test can hold back. */
function setUp() {
  const log: Activity[] = [];
  const commit = (message: string) => {
    const activity: Activity = {
      id: String(log.length + 1),
      type: "BROADCAST_MESSAGE",
      message,
      actor: null,
      target: null,
      metadata: { message },
      createdAt: new Date().toISOString(),
    };
    log.push(activity);
    return activity;
  };
  const holds: Array<{ opened: Promise<void> }> = [];
  const reads = { count: 0 };
  const messageOf = (row: Activity) => JSON.stringify({ type: row.type, payload: row.metadata, id: row.id, at: row.createdAt });
  const subscribers = new Map<string, Set<FakeSocket>>();
  const hub = createHub({
    logger: createLogger("silent"),
    publish: (topic, message) => {
      for (const socket of subscribers.get(topic) ?? []) socket.send(message);
    },
    authenticate: async () => {
      throw new Error("not used");
    },
    reads: {
      messagesAfter: async (_org, afterId, limit) => {
        reads.count++;
        const snapshotAt = holds.shift();
        await snapshotAt?.opened;
        return log
          .filter((row) => BigInt(row.id) > afterId)
          .slice(0, limit)
          .map((row) => ({ id: row.id, message: messageOf(row), at: row.createdAt }));
      },
      sessionStates: async () => new Map(),
    },
  });

  type FakeSocket = HubSocket & { received: Array<{ type: string; id?: string; payload?: any }>; closedWith?: number };
  const socket = (latestId: bigint, since = latestId): FakeSocket => {
    const auth: AuthContext = {
      userId: crypto.randomUUID(),
      orgId: ORG,
      role: "MEMBER",
      sessionId: crypto.randomUUID(),
      expiresAt: Date.now() + 60_000,
      name: "Sam",
      email: "sam@example.com",
    };
    const fake: FakeSocket = {
      data: { auth, latestId, since },
      received: [],
      send: (message) => fake.received.push(JSON.parse(message)),
      close: (code) => {
        fake.closedWith = code;
      },
      subscribe: (topic) => {
        const set = subscribers.get(topic) ?? new Set();
        set.add(fake);
        subscribers.set(topic, set);
      },
    };
    return fake;
  };
  /** The next read waits for the returned gate. */
  const holdNextRead = () => {
    const held = gate();
    holds.push(held);
    return held;
  };
  const settle = () => new Promise((resolve) => setTimeout(resolve, 10));
  const ids = (fake: FakeSocket) => fake.received.filter((m) => m.id !== undefined).map((m) => m.id);
  /** What the database announces when `row` commits: with its message, unless it was too long to carry. */
  const notify = (row: Activity, { withMessage = true } = {}) =>
    hub.activityCommitted({ orgId: ORG, id: BigInt(row.id), at: row.createdAt, ...(withMessage ? { message: messageOf(row) } : {}) });
  return { hub, commit, socket, holdNextRead, settle, ids, notify, reads };
}

describe("a room's starting point", () => {
  test("events committed after a socket's start but before its room's first read reach it", async () => {
    const { hub, commit, socket, holdNextRead, settle, ids, notify } = setUp();
    commit("before the socket");
    const held = holdNextRead();
    const first = socket(1n); // the newest id when it connected
    hub.join(first);
    expect(first.received[0]).toMatchObject({ type: "CONNECTED", payload: { lastActivityId: "1" } });

    // Committed, and notified, while the room's first read is still held back.
    notify(commit("during one"));
    notify(commit("during two"));
    held.open();
    await settle();
    expect(ids(first)).toEqual(["2", "3"]);
  });

  test("a notification that arrived before the room existed still gets its event delivered", async () => {
    const { hub, commit, socket, settle, ids, notify } = setUp();
    const start = 0n;
    notify(commit("committed between the start being read and the socket opening")); // no room yet: nobody is woken
    const first = socket(start);
    hub.join(first);
    await settle();
    expect(ids(first)).toEqual(["1"]);
  });

  test("a socket joining a room that is behind gets the missed events once, then live ones", async () => {
    const { hub, commit, socket, holdNextRead, settle, ids, notify } = setUp();
    const first = socket(0n);
    hub.join(first);
    await settle();
    const held = holdNextRead();
    const one = commit("one");
    const two = commit("two");
    notify(two, { withMessage: false }); // too long for a notification: the room must read
    const second = socket(2n); // read the newest id after both committed
    hub.join(second);
    notify(one); // arrives late, after the room has moved on
    held.open();
    await settle();
    notify(commit("three"));
    await settle();
    expect(ids(first)).toEqual(["1", "2", "3"]);
    expect(ids(second)).toEqual(["3"]);
  });

  test("a resuming socket far behind is told its replay is truncated, then gets the newest 500 in order", async () => {
    const { hub, commit, socket, settle } = setUp();
    for (let i = 0; i < 620; i++) commit(`old ${i}`);
    const resumed = socket(620n, 10n);
    hub.join(resumed);
    await settle();
    const truncated = resumed.received.find((m) => m.type === "REPLAY_TRUNCATED");
    expect(truncated?.payload).toEqual({ since: "10", oldestReplayedId: "121" });
    const replayed = resumed.received.filter((m) => m.id !== undefined).map((m) => Number(m.id));
    expect(replayed).toEqual(Array.from({ length: 500 }, (_, i) => 121 + i));
  });
});

describe("publishing", () => {
  test("the next event in line is published from its notification, without reading the table", async () => {
    const { hub, commit, socket, settle, ids, notify, reads } = setUp();
    const first = socket(0n);
    hub.join(first);
    await settle();
    const before = reads.count;
    for (let i = 0; i < 5; i++) notify(commit(`direct ${i}`));
    expect(ids(first)).toEqual(["1", "2", "3", "4", "5"]);
    expect(reads.count).toBe(before);
  });

  test("a gap (a notification lost) sends the room to the table, and it fills the gap in order", async () => {
    const { hub, commit, socket, settle, ids, notify } = setUp();
    const first = socket(0n);
    hub.join(first);
    await settle();
    notify(commit("one"));
    commit("two — its notification never arrives");
    notify(commit("three"));
    await settle();
    expect(ids(first)).toEqual(["1", "2", "3"]);
  });
});

describe("revalidation after missed notifications", () => {
  test("sockets whose session ended close with 4001, whose membership ended with 4003; roles are refreshed", async () => {
    const sockets: HubSocket[] = [];
    const hub = createHub({
      logger: createLogger("silent"),
      publish: () => {},
      authenticate: async () => {
        throw new Error("not used");
      },
      reads: {
        messagesAfter: async () => [],
        sessionStates: async (_org, sessionIds) =>
          new Map([
            [sessionIds[0] as string, { revoked: true, role: "MEMBER" as const }],
            [sessionIds[1] as string, { revoked: true, role: null }],
            [sessionIds[2] as string, { revoked: false, role: "ADMIN" as const }],
          ]),
      },
    });
    const closes: Array<number | undefined> = [];
    for (let i = 0; i < 3; i++) {
      const index = i;
      const fake: HubSocket = {
        data: {
          auth: {
            userId: crypto.randomUUID(),
            orgId: ORG,
            role: "MEMBER",
            sessionId: crypto.randomUUID(),
            expiresAt: Date.now() + 60_000,
            name: "n",
            email: "e@x.io",
          },
          latestId: 0n,
          since: 0n,
        },
        send: () => {},
        close: (code) => {
          closes[index] = code;
        },
        subscribe: () => {},
      };
      sockets.push(fake);
      hub.join(fake);
    }
    hub.resync();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(closes).toEqual([CLOSE.authExpired, CLOSE.removed, undefined]);
    expect(sockets[2]?.data.auth.role).toBe("ADMIN");
    for (const socket of sockets) hub.leave(socket);
  });
});
