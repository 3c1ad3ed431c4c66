import type { ActivityNotification, AuthChange } from "../db/notifications.ts";
import type { Logger } from "../lib/logger.ts";
import { CLOSE, message } from "./events.ts";
import { ClientMessageSchema } from "./protocol.ts";
import { createRoom, type MessagesAfter, type Publish, type Room } from "./room.ts";
import type { HubSocket } from "./socket.ts";
import { createSocketAuth, type ReadSessionStates } from "./socket-auth.ts";

export type HubDeps = {
  logger: Logger;
  publish: Publish;
  authenticate: Parameters<typeof createSocketAuth>[0]["authenticate"];
  /** The two reads the realtime side needs, injected so it runs (and is tested) without a database. */
  reads: { messagesAfter: MessagesAfter; sessionStates: ReadSessionStates };
};

/**
 * The sockets of one instance, in one room per organisation that has sockets here. Rooms come
 * and go with their sockets; what arrives from the bus is routed to the room or sockets it
 * concerns.
 */
export function createHub({ logger, publish, authenticate, reads }: HubDeps) {
  const rooms = new Map<string, Room>();
  const socketAuth = createSocketAuth({ authenticate, sessionStates: reads.sessionStates });

  const socketsWhere = function* (matches: (socket: HubSocket) => boolean) {
    for (const room of rooms.values()) for (const socket of room.sockets) if (matches(socket)) yield socket;
  };

  return {
    /** A socket opened: greet it, start its expiry clock, and bring it up to date. */
    join(socket: HubSocket) {
      const { auth, since, latestId } = socket.data;
      let room = rooms.get(auth.orgId);
      const isNew = !room;
      // A new room starts at the newest id read before this socket connected: nothing after
      // it can have been missed, and a resuming socket far behind is replayed to, not flooded.
      room ??= createRoom(auth.orgId, latestId, { logger, messagesAfter: reads.messagesAfter, publish });
      rooms.set(auth.orgId, room);
      socket.send(
        message("CONNECTED", { userId: auth.userId, organisationId: auth.orgId, role: auth.role, lastActivityId: latestId.toString() }),
      );
      socketAuth.armExpiry(socket);
      room.admit(socket, since);
      // A notification that arrived before this room existed woke nobody: look once.
      if (isNew) room.catchUp();
    },

    leave(socket: HubSocket) {
      socketAuth.disarm(socket);
      const room = rooms.get(socket.data.auth.orgId);
      if (!room) return;
      room.sockets.delete(socket);
      if (room.sockets.size > 0) return;
      room.close();
      rooms.delete(room.organisationId);
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
      const received = ClientMessageSchema.safeParse(parsed);
      if (!received.success) return;
      if (received.data.type === "PING") socket.send(message("PONG"));
      else void socketAuth.reauthenticate(socket, received.data.token);
    },

    /** An organisation's log grew (from any instance). */
    activityCommitted({ orgId, id, at, message }: ActivityNotification) {
      rooms.get(orgId)?.committed(id, message === undefined ? undefined : { message, at });
    },

    /**
     * Where a socket of `organisationId` connecting now may start without reading the table:
     * the newest id this instance's room has published. Everything after it is on its way to
     * the room (or will be read by its next catch-up), so nothing after it can be missed.
     */
    publishedUpTo: (organisationId: string): bigint | undefined => rooms.get(organisationId)?.publishedUpTo(),

    /** A session or membership changed (from any instance): act on this instance's sockets now. */
    authChanged(change: AuthChange) {
      switch (change.kind) {
        case "session":
          for (const socket of socketsWhere((s) => s.data.auth.sessionId === change.sessionId))
            socket.close(CLOSE.authExpired, "Session revoked");
          return;
        case "user":
          for (const socket of socketsWhere(
            (s) => s.data.auth.userId === change.userId && s.data.auth.sessionId !== change.exceptSessionId,
          )) {
            socket.close(CLOSE.authExpired, "Session revoked");
          }
          return;
        case "organisation":
          for (const socket of [...(rooms.get(change.orgId)?.sockets ?? [])]) socket.close(CLOSE.removed, "The organisation was deleted");
          return;
        case "requirements":
          // Nothing revoked: what the sessions may do is re-read, and a socket that may no longer stay closes.
          for (const room of rooms.values()) {
            if (change.orgId !== undefined && room.organisationId !== change.orgId) continue;
            const affected = [...room.sockets].filter((socket) => change.userId === undefined || socket.data.auth.userId === change.userId);
            if (affected.length > 0) room.enqueue(() => socketAuth.revalidate(room.organisationId, affected));
          }
          return;
        case "member":
          for (const socket of rooms.get(change.orgId)?.sockets ?? []) {
            if (socket.data.auth.userId !== change.userId) continue;
            if (change.role === null) socket.close(CLOSE.removed, "Removed from the organisation");
            else socket.data.auth = { ...socket.data.auth, role: change.role };
          }
      }
    },

    /** Notifications may have been lost: re-check every socket and republish from the table. */
    resync() {
      for (const room of rooms.values()) {
        room.enqueue(() => socketAuth.revalidate(room.organisationId, room.sockets));
        room.catchUp();
      }
    },

    /** Shutdown: every socket closes with `code`, and the expiry sweep stops. */
    closeAll(code: number, reason: string) {
      for (const socket of socketsWhere(() => true)) socket.close(code, reason);
      socketAuth.stop();
    },
  };
}

export type Hub = ReturnType<typeof createHub>;
