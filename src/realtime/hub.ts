import { and, asc, desc, eq, gt, inArray, isNotNull, lte, max } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { activities, memberships, sessions } from "../db/schema/index.ts";
import { withOrg } from "../db/tenant.ts";
import type { AuthContext } from "../lib/app-env.ts";
import { describeError } from "../lib/errors.ts";
import type { Logger } from "../lib/logger.ts";
import { toActivity } from "../modules/activity/activity.service.ts";
import type { AuthChange } from "../modules/auth/revocations.ts";
import { activityMessage, CLOSE, message, REPLAY_LIMIT } from "./events.ts";

/** What a socket carries from its upgrade: who it is, and where it resumes. */
export type SocketData = { auth: AuthContext; since: bigint | null; expiryTimer?: ReturnType<typeof setTimeout> };

/** The part of Bun's ServerWebSocket the hub uses. */
export type HubSocket = {
  data: SocketData;
  send(message: string): unknown;
  close(code?: number, reason?: string): void;
  subscribe(topic: string): void;
};

type Room = {
  orgId: string;
  topic: string;
  sockets: Set<HubSocket>;
  /** The newest activity this instance has published to the room's topic. */
  lastId: bigint;
  /** Every step that reads or moves `lastId` runs here, one after another. */
  tail: Promise<void>;
  catchUpQueued: boolean;
};

export type HubDeps = {
  db: Db;
  logger: Logger;
  /** Sends to every socket subscribed to `topic` (Bun's server.publish). */
  publish(topic: string, message: string): void;
  authenticate(token: string): Promise<AuthContext>;
};

const FETCH_BATCH = 500;
const CATCH_UP_RETRY_MS = 1000;
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The realtime rooms of one instance: one per organisation with sockets here.
 *
 * The activity table is the truth and a notification only a wake-up: a woken room publishes
 * every row after the last id it published, in id order. Ids commit in order within an
 * organisation (see recordActivity), so "after the last id" never skips a row. A resuming
 * socket's replay runs in the room's queue, between two publishes, and it subscribes before
 * the next one: replay then live, with no gap, duplicate or reordering.
 */
export function createHub({ db, logger, publish, authenticate }: HubDeps) {
  const rooms = new Map<string, Room>();

  const enqueue = (room: Room, task: () => Promise<void>) => {
    room.tail = room.tail.then(task).catch((error) => {
      logger.error("realtime room task failed", { organisationId: room.orgId, error: describeError(error) });
    });
  };
  const isOpen = (room: Room) => rooms.get(room.orgId) === room;

  function roomOf(orgId: string): Room {
    const existing = rooms.get(orgId);
    if (existing) return existing;
    const room: Room = { orgId, topic: `org:${orgId}`, sockets: new Set(), lastId: 0n, tail: Promise.resolve(), catchUpQueued: false };
    rooms.set(orgId, room);
    enqueue(room, async () => {
      const [latest] = await withOrg(db, orgId, (tx) =>
        tx.select({ id: max(activities.id) }).from(activities).where(eq(activities.organisationId, orgId)),
      );
      room.lastId = latest?.id ?? 0n;
    });
    return room;
  }

  /** Publishes every committed activity after `room.lastId`. Runs inside the room's queue. */
  async function publishPending(room: Room) {
    for (;;) {
      const rows = await withOrg(db, room.orgId, (tx) =>
        tx
          .select()
          .from(activities)
          .where(and(eq(activities.organisationId, room.orgId), gt(activities.id, room.lastId)))
          .orderBy(asc(activities.id))
          .limit(FETCH_BATCH),
      );
      if (!isOpen(room)) return; // the last socket left meanwhile; a new room starts afresh
      for (const row of rows) publish(room.topic, activityMessage(toActivity(row)));
      const last = rows.at(-1);
      if (last) room.lastId = last.id;
      if (rows.length < FETCH_BATCH) return;
    }
  }

  function scheduleCatchUp(room: Room) {
    if (room.catchUpQueued) return; // the queued run will see this row too
    room.catchUpQueued = true;
    enqueue(room, async () => {
      room.catchUpQueued = false;
      try {
        await publishPending(room);
      } catch (error) {
        // Nothing was lost — the rows are in the table — but nothing may wake us again soon.
        setTimeout(() => isOpen(room) && scheduleCatchUp(room), CATCH_UP_RETRY_MS);
        throw error;
      }
    });
  }

  /** Sends `socket` what it missed after `since` (at most REPLAY_LIMIT, the newest), then subscribes it. */
  async function replayThenSubscribe(room: Room, socket: HubSocket, since: bigint) {
    await publishPending(room);
    if (!room.sockets.has(socket)) return;
    const missed = await withOrg(db, room.orgId, (tx) =>
      tx
        .select()
        .from(activities)
        .where(and(eq(activities.organisationId, room.orgId), gt(activities.id, since), lte(activities.id, room.lastId)))
        .orderBy(desc(activities.id))
        .limit(REPLAY_LIMIT + 1),
    );
    if (!room.sockets.has(socket)) return;
    const replayed = missed.slice(0, REPLAY_LIMIT).reverse();
    if (missed.length > REPLAY_LIMIT) {
      // Too far behind to replay everything: say so, so the client can page the feed instead.
      socket.send(message("REPLAY_TRUNCATED", { since: since.toString(), oldestReplayedId: replayed[0]?.id.toString() }));
    }
    for (const row of replayed) socket.send(activityMessage(toActivity(row)));
    socket.subscribe(room.topic);
  }

  /** After missed notifications: close sockets whose membership or session ended meanwhile. */
  async function revalidate(room: Room) {
    const sessionIds = [...room.sockets].map((socket) => socket.data.auth.sessionId);
    if (sessionIds.length === 0) return;
    const [members, revoked] = await withOrg(db, room.orgId, async (tx) => [
      await tx.select({ userId: memberships.userId, role: memberships.role }).from(memberships).where(eq(memberships.organisationId, room.orgId)),
      await tx.select({ id: sessions.id }).from(sessions).where(and(inArray(sessions.id, sessionIds), isNotNull(sessions.revokedAt))),
    ]);
    const roles = new Map(members.map((member) => [member.userId, member.role]));
    const revokedIds = new Set(revoked.map((session) => session.id));
    for (const socket of room.sockets) {
      const role = roles.get(socket.data.auth.userId);
      if (!role) socket.close(CLOSE.removed, "No longer a member of this organisation");
      else if (revokedIds.has(socket.data.auth.sessionId)) socket.close(CLOSE.authExpired, "Session revoked");
      else socket.data.auth = { ...socket.data.auth, role };
    }
  }

  function armExpiry(socket: HubSocket) {
    clearTimeout(socket.data.expiryTimer);
    const remaining = Math.min(MAX_TIMER_MS, Math.max(0, socket.data.auth.expiresAt - Date.now()));
    socket.data.expiryTimer = setTimeout(() => socket.close(CLOSE.authExpired, "Access token expired"), remaining);
  }

  async function reauthenticate(socket: HubSocket, token: string) {
    try {
      const auth = await authenticate(token);
      if (auth.userId !== socket.data.auth.userId || auth.orgId !== socket.data.auth.orgId) {
        socket.send(message("ERROR", { message: "That token belongs to another user or organisation" }));
        return;
      }
      socket.data.auth = auth;
      armExpiry(socket);
      socket.send(message("AUTHENTICATED", { expiresAt: new Date(auth.expiresAt).toISOString() }));
    } catch {
      socket.send(message("ERROR", { message: "Invalid or expired access token" }));
    }
  }

  const socketsWhere = function* (matches: (socket: HubSocket) => boolean) {
    for (const room of rooms.values()) for (const socket of room.sockets) if (matches(socket)) yield socket;
  };

  return {
    /** A socket opened: greet it, start its expiry clock, and bring it up to date. */
    join(socket: HubSocket) {
      const { auth, since } = socket.data;
      const room = roomOf(auth.orgId);
      room.sockets.add(socket);
      socket.send(message("CONNECTED", { userId: auth.userId, organisationId: auth.orgId, role: auth.role }));
      armExpiry(socket);
      if (since === null) socket.subscribe(room.topic);
      else
        enqueue(room, () =>
          replayThenSubscribe(room, socket, since).catch((error) => {
            // Half a replay would be a gap; better to let the client resume again.
            socket.close(CLOSE.internalError, "Could not replay; reconnect with since");
            throw error;
          }),
        );
    },

    leave(socket: HubSocket) {
      clearTimeout(socket.data.expiryTimer);
      const room = rooms.get(socket.data.auth.orgId);
      if (!room) return;
      room.sockets.delete(socket);
      if (room.sockets.size === 0) rooms.delete(room.orgId);
    },

    /** `{"type":"PING"}` → PONG; `{"type":"AUTH","token"}` extends the socket's life; anything else is ignored. */
    receive(socket: HubSocket, raw: string | Buffer) {
      if (typeof raw !== "string") return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch {
        return;
      }
      if (typeof parsed !== "object" || parsed === null) return;
      const { type, token } = parsed as { type?: unknown; token?: unknown };
      if (type === "PING") socket.send(message("PONG"));
      else if (type === "AUTH" && typeof token === "string") void reauthenticate(socket, token);
    },

    /** An organisation's log grew (from any instance). */
    activityCommitted(orgId: string) {
      const room = rooms.get(orgId);
      if (room) scheduleCatchUp(room);
    },

    /** A session or membership changed (from any instance): act on this instance's sockets now. */
    authChanged(change: AuthChange) {
      if (change.kind === "session") {
        for (const socket of socketsWhere((s) => s.data.auth.sessionId === change.sessionId)) {
          socket.close(CLOSE.authExpired, "Session revoked");
        }
        return;
      }
      const room = rooms.get(change.orgId);
      for (const socket of room?.sockets ?? []) {
        if (socket.data.auth.userId !== change.userId) continue;
        if (change.role === null) socket.close(CLOSE.removed, "Removed from the organisation");
        else socket.data.auth = { ...socket.data.auth, role: change.role };
      }
    },

    /** Notifications may have been lost: republish from the table and re-check every socket. */
    resync() {
      for (const room of rooms.values()) {
        enqueue(room, () => revalidate(room));
        scheduleCatchUp(room);
      }
    },

    closeAll(code: number, reason: string) {
      for (const socket of socketsWhere(() => true)) socket.close(code, reason);
    },

    stats: () => ({ rooms: rooms.size, sockets: [...rooms.values()].reduce((sum, room) => sum + room.sockets.size, 0) }),
  };
}

export type Hub = ReturnType<typeof createHub>;
