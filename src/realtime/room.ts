import { describeError } from "../lib/errors.ts";
import type { Logger } from "../lib/logger.ts";
import { CLOSE, message, REPLAY_LIMIT } from "./events.ts";
import type { HubSocket } from "./socket.ts";

/** An activity as its socket message, with its id and commit time. */
export type MessageRow = { id: string; message: string; at: string };

/** Activities of an organisation with ids after `afterId`, oldest first, at most `limit`, each as its socket message. */
export type MessagesAfter = (organisationId: string, afterId: bigint, limit: number) => Promise<MessageRow[]>;

/** Sends `message` to every socket subscribed to `topic` (Bun's server.publish); `at` is the activity's commit time. */
export type Publish = (topic: string, message: string, at: string) => void;

export type RoomDeps = { logger: Logger; messagesAfter: MessagesAfter; publish: Publish };

const FETCH_BATCH = 500;
const CATCH_UP_RETRY_MS = 1000;

/**
 * One organisation's realtime room on this instance: its sockets, and the newest activity id it
 * has published to them.
 *
 * The activity table is the truth and a notification only a wake-up: a woken room publishes
 * every row after `lastId`, in id order. Ids are contiguous and commit in order within an
 * organisation (see recordActivity), so "after lastId" never skips a row. Every step that reads
 * or moves `lastId` runs in one queue, one after another, so a resuming socket's replay happens
 * between two publishes and it subscribes before the next: replay then live, with no gap,
 * duplicate or reordering.
 *
 * `lastId` starts where the first socket starts (the id it resumes after, or the newest id read
 * before it connected), never from a read made after the socket could already have missed
 * something.
 */
export function createRoom(organisationId: string, startAfter: bigint, { logger, messagesAfter, publish }: RoomDeps) {
  const topic = `org:${organisationId}`;
  const sockets = new Set<HubSocket>();
  let lastId = startAfter;
  let tail = Promise.resolve();
  let queued = 0;
  let catchUpQueued = false;
  let closed = false;

  const enqueue = (task: () => Promise<void>) => {
    queued++;
    tail = tail
      .then(task)
      .catch((error) => {
        logger.error("realtime room task failed", { organisationId, error: describeError(error) });
      })
      .finally(() => queued--);
  };

  /** Publishes every committed activity after `lastId`. Runs inside the queue. */
  async function publishPending() {
    for (;;) {
      const rows = await messagesAfter(organisationId, lastId, FETCH_BATCH);
      if (closed) return; // the last socket left meanwhile; a new room starts afresh
      for (const row of rows) publish(topic, row.message, row.at);
      const last = rows.at(-1);
      if (last) lastId = BigInt(last.id);
      if (rows.length < FETCH_BATCH) return;
    }
  }

  function catchUp() {
    if (catchUpQueued) return; // the queued run will see this row too
    catchUpQueued = true;
    enqueue(async () => {
      catchUpQueued = false;
      try {
        await publishPending();
      } catch (error) {
        // Nothing was lost — the rows are in the table — but nothing may wake us again soon.
        setTimeout(() => !closed && catchUp(), CATCH_UP_RETRY_MS);
        throw error;
      }
    });
  }

  /** Sends `socket` what it missed after `since` (at most REPLAY_LIMIT, the newest), then subscribes it. */
  async function replayThenSubscribe(socket: HubSocket, since: bigint) {
    await publishPending();
    if (!sockets.has(socket)) return;
    const upTo = lastId;
    const from = since > upTo - BigInt(REPLAY_LIMIT) ? since : upTo - BigInt(REPLAY_LIMIT);
    const missed = from < upTo ? (await messagesAfter(organisationId, from, REPLAY_LIMIT)).filter((row) => BigInt(row.id) <= upTo) : [];
    if (!sockets.has(socket)) return;
    const oldest = missed[0];
    // Too far behind to replay everything, or behind what retention kept (the next id is not
    // there): say so, so the client can page the feed instead.
    const gap = from < upTo && (!oldest || BigInt(oldest.id) > from + 1n);
    if (from > since || gap) {
      socket.send(message("REPLAY_TRUNCATED", { since: since.toString(), oldestReplayedId: oldest?.id ?? null }));
    }
    for (const row of missed) socket.send(row.message);
    socket.subscribe(topic);
  }

  return {
    organisationId,
    sockets,

    /**
     * Brings `socket` in after activity `since`. When the room has published exactly up to
     * there it subscribes at once — everything after reaches it live. Otherwise it waits its
     * turn in the queue to be replayed to, then subscribes.
     */
    admit(socket: HubSocket, since: bigint) {
      sockets.add(socket);
      if (since === lastId) {
        socket.subscribe(topic);
        return;
      }
      enqueue(() =>
        replayThenSubscribe(socket, since).catch((error) => {
          // Half a replay would be a gap; better to let the client resume again.
          socket.close(CLOSE.internalError, "Could not replay; reconnect with since");
          throw error;
        }),
      );
    },

    /**
     * Activity `id` committed. When it is the very next one and nothing is queued, its message
     * (carried by the notification) is published at once; otherwise — a gap, a message too long
     * for a notification, work in flight — the room reads the table from where it is. An id it
     * has published already (this instance's own change, heard again) is nothing new.
     */
    committed(id: bigint, carried: { message: string; at: string } | undefined) {
      if (carried && queued === 0 && id === lastId + 1n) {
        publish(topic, carried.message, carried.at);
        lastId = id;
      } else if (id > lastId) catchUp();
    },

    /** The newest id published here. */
    publishedUpTo: () => lastId,

    /** Publish whatever the table holds after what was published. */
    catchUp,

    /** Runs `task` in the room's queue, after everything queued before it. */
    enqueue,

    /** The last socket left: stop publishing; whatever is still queued finds the room closed. */
    close() {
      closed = true;
    },
  };
}

export type Room = ReturnType<typeof createRoom>;
