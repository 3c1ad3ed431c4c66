import type { ControlPayload, ControlType } from "./protocol.ts";

/**
 * What the server sends on /ws. `id` is the activity id: pass the last one seen as `since` to
 * resume. An activity's message is built by the database (activity.reads.ts) in this shape:
 * `{ type, payload: metadata, id, at: createdAt }`.
 */
export type ServerMessage = { type: string; payload?: unknown; id?: string; at: string };

/** A control message (realtime/protocol.ts), typed by its schema. */
export const message = <T extends ControlType>(
  type: T,
  ...payload: undefined extends ControlPayload<T> ? [ControlPayload<T>?] : [ControlPayload<T>]
): string =>
  JSON.stringify({
    type,
    ...(payload[0] === undefined ? {} : { payload: payload[0] }),
    at: new Date().toISOString(),
  } satisfies ServerMessage);

/** Close codes a client can act on. */
export const CLOSE = {
  /** The server is shutting down: reconnect (elsewhere) with `since`. */
  goingAway: 1001,
  /** The server could not bring the socket up to date: reconnect with `since`. */
  internalError: 1011,
  /** The access token expired or the session was revoked: refresh, then reconnect. */
  authExpired: 4001,
  /** No longer a member of the organisation: do not reconnect. */
  removed: 4003,
  /** The session belongs to no organisation: create or join one and switch to it first; reconnecting will not help. */
  noOrganisation: 4004,
  /** The organisation is suspended by the operators (see the platform administration docs): do not reconnect. */
  suspended: 4005,
  /** The organisation requires a second factor and this member has none: set one up, sign in again, then reconnect. */
  secondFactorRequired: 4006,
  /** The account was disabled by the platform's operators: do not reconnect. */
  accountDisabled: 4007,
} as const;

/** How many missed activities a resuming socket is sent; older ones are in GET /api/activities. */
export const REPLAY_LIMIT = 500;
