import type { AuthContext } from "../lib/auth-context.ts";

/**
 * What a socket carries from its upgrade: who it is, the id of the organisation's newest
 * activity when it connected, and the id it has seen up to (its `since`, else that newest id).
 */
export type SocketData = { auth: AuthContext; latestId: bigint; since: bigint };

/** The part of Bun's ServerWebSocket the realtime side uses. */
export type HubSocket = {
  data: SocketData;
  send(message: string): unknown;
  close(code?: number, reason?: string): void;
  subscribe(topic: string): void;
};
