import type { Activity } from "../modules/activity/index.ts";

/** What the server sends on /ws. `id` is the activity id: pass the last one seen as `since` to resume. */
export type ServerMessage = { type: string; payload?: unknown; id?: string; at: string };

const serialise = (message: ServerMessage): string => JSON.stringify(message);

export const message = (type: string, payload?: unknown): string =>
  serialise({ type, ...(payload === undefined ? {} : { payload }), at: new Date().toISOString() });

export const activityMessage = (activity: Pick<Activity, "id" | "type" | "metadata" | "createdAt">): string =>
  serialise({ type: activity.type, payload: activity.metadata, id: activity.id, at: activity.createdAt });

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
} as const;

/** How many missed activities a resuming socket is sent; older ones are in GET /api/activities. */
export const REPLAY_LIMIT = 500;
