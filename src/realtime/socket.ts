import type { AuthContext } from "../lib/auth-context.ts";

/**
 * What an admitted socket carries from its upgrade: who it is, the id of the organisation's
 * newest activity when it connected, and the id it has seen up to (its `since`, else that newest
 * id).
 */
export type AdmittedSocketData = { auth: AuthContext; latestId: bigint; since: bigint };

/**
 * A socket accepted only to be closed at once with a code a browser can read: an expired or
 * revoked token (4001) or a session in no organisation (4004). A refused upgrade's HTTP status
 * is invisible to a browser, which would take a 401 for a dead network and retry forever.
 */
export type RefusedSocketData = { refusal: { code: number; reason: string } };

export type SocketData = AdmittedSocketData | RefusedSocketData;

/** The part of Bun's ServerWebSocket the realtime side uses. */
export type HubSocket = {
  data: AdmittedSocketData;
  send(message: string): unknown;
  close(code?: number, reason?: string): void;
  subscribe(topic: string): void;
};
