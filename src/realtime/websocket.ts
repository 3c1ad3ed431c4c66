import type { ServerWebSocket, WebSocketHandler } from "bun";
import type { Metrics } from "../lib/metrics.ts";
import { CLOSE } from "./events.ts";
import type { Hub } from "./hub.ts";
import type { Publish } from "./room.ts";
import type { AdmittedSocketData, RefusedSocketData, SocketData } from "./socket.ts";

/**
 * A slow consumer is closed (and can resume with `since`) once this much is queued for it,
 * rather than Bun silently dropping messages past its 16 MB default.
 */
const SOCKET_BACKPRESSURE_LIMIT = 1024 * 1024;
const SOCKET_MAX_MESSAGE = 64 * 1024;

/** Close codes counted by name; any other code a client sends is "other", so no client can add a series. */
const COUNTED_CLOSE_CODES = new Set<number>([1000, 1005, 1006, 1009, ...Object.values(CLOSE)]);
export const closeCodeLabel = (code: number) => (COUNTED_CLOSE_CODES.has(code) ? String(code) : "other");

/** Bun's WebSocket handlers for /ws: each socket joins its organisation's room on this instance. */
export function socketHandlers(hub: Hub, metrics: Metrics): WebSocketHandler<SocketData> {
  const admitted = (socket: ServerWebSocket<SocketData>): socket is ServerWebSocket<AdmittedSocketData> => !("refusal" in socket.data);
  return {
    open: (socket) => {
      metrics.socketsOpen.inc();
      if (admitted(socket)) return hub.join(socket);
      const { refusal } = socket.data as RefusedSocketData;
      socket.close(refusal.code, refusal.reason);
    },
    message: (socket, raw) => {
      if (admitted(socket)) hub.receive(socket, raw);
    },
    close: (socket, code) => {
      metrics.socketsOpen.dec();
      metrics.socketsClosed.inc({ code: closeCodeLabel(code) });
      if (admitted(socket)) hub.leave(socket);
    },
    backpressureLimit: SOCKET_BACKPRESSURE_LIMIT,
    closeOnBackpressureLimit: true,
    maxPayloadLength: SOCKET_MAX_MESSAGE,
  };
}

type Topics = { publish(topic: string, message: string): number; subscriberCount(topic: string): number };

/**
 * Publishing to a room's topic: Bun's server.publish, which exists only once the server is
 * serving (`bind`). Every publish is on the fan-out path, so it is counted only when someone
 * can read the count.
 */
export function createFanOut(metrics: Metrics, { counted }: { counted: boolean }) {
  let topics: Topics | undefined;
  const publish: Publish = (topic, message, at) => {
    if (!topics) return;
    topics.publish(topic, message);
    if (!counted) return;
    metrics.eventsPublished.inc();
    metrics.deliveries.inc(topics.subscriberCount(topic));
    metrics.publishLag.observe(Math.max(0, Date.now() - Date.parse(at)) / 1000);
  };
  return {
    publish,
    bind(server: Topics) {
      topics = server;
    },
  };
}
