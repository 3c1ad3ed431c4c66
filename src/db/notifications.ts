import { createHash, randomUUID } from "node:crypto";
import type { Role } from "../lib/vocabulary.ts";

// The notification contracts: what each NOTIFY channel is called and what its payload says.
// Every instance of every version in a rolling deploy speaks them, so a constant may be
// renamed but its string value never changes.

export const CHANNELS = {
  /** An organisation's activity log grew. */
  activity: "activity",
  /** A session or membership changed: every session cache and socket must hear it. */
  authChanges: "auth_changes",
  /** Mail was queued: wake a sender. */
  outbox: "outbox",
  /** A job was queued (also by the database's own triggers, which spell the name out: drizzle/0011): wake a runner. */
  jobs: "jobs",
  /** An instance acted on a confirmed announcement: `<listener id> <digest of the announcement>` (db/notify.ts). */
  heard: "heard",
} as const;

export type Channel = (typeof CHANNELS)[keyof typeof CHANNELS];

/**
 * Announcements that every listening instance acknowledges once it has acted on them, and whose
 * sender answers only after those acknowledgements (db/notify.ts): a revocation must hold on the
 * very next request, whichever instance it reaches.
 */
export const CONFIRMED_CHANNELS: ReadonlySet<Channel> = new Set([CHANNELS.authChanges]);

/** Names a confirmed announcement in its acknowledgements, well under NOTIFY's size limit whatever it says. */
export const digestOf = (announcement: string) => createHash("sha256").update(announcement).digest("base64url").slice(0, 22);

/** An acknowledgement: listener `listenerId` has acted on the announcement with this digest. */
export type Heard = { listenerId: number; digest: string };

export const formatHeard = ({ listenerId, digest }: Heard) => `${listenerId} ${digest}`;

export function parseHeard(payload: string): Heard | null {
  const [id, digest, ...rest] = payload.split(" ");
  const listenerId = Number(id);
  return Number.isSafeInteger(listenerId) && digest && rest.length === 0 ? { listenerId, digest } : null;
}

/**
 * What an activity notification says: whose log grew, to which id, when it committed, the
 * socket message when it fitted, and the trace of the request that committed it. The database
 * writes it (recordActivity's statement) as `{ o, i, a, m?, t? }`.
 */
export type ActivityNotification = { orgId: string; id: bigint; at: string; message?: string; traceparent?: string };

export function parseActivityNotification(payload: string): ActivityNotification | null {
  try {
    const { o, i, a, m, t } = JSON.parse(payload) as Record<string, unknown>;
    if (typeof o !== "string" || typeof i !== "string" || !/^\d+$/.test(i) || typeof a !== "string") return null;
    return {
      orgId: o,
      id: BigInt(i),
      at: a,
      ...(typeof m === "string" ? { message: m } : {}),
      ...(typeof t === "string" ? { traceparent: t } : {}),
    };
  } catch {
    return null;
  }
}

/** A change that must reach every instance's session cache and sockets at once. */
export type AuthChange =
  /** One session revoked (logout, a reused refresh token, ended from the session list). */
  | { kind: "session"; sessionId: string }
  /** A member's role changed, or (null) they are no longer a member. */
  | { kind: "member"; orgId: string; userId: string; role: Role | null }
  /** Every session of a user revoked but `exceptSessionId` (a new password, logout others/global, a deleted account). */
  | { kind: "user"; userId: string; exceptSessionId?: string }
  /** The organisation is gone, with all its sessions. */
  | { kind: "organisation"; orgId: string }
  /**
   * What sessions may do changed, nothing was revoked: a user's second factors (`userId`), or an
   * organisation's requirement of one (`orgId`). Caches re-read; sockets that may no longer stay close.
   */
  | { kind: "requirements"; userId?: string; orgId?: string };

const AUTH_KINDS = new Set(["session", "member", "user", "organisation", "requirements"]);

/**
 * The payload announcing `change`. A random `n` makes each announcement its own, so the
 * acknowledgements of one (their digest of it) are never taken for another's.
 */
export const formatAuthChange = (change: AuthChange): string => JSON.stringify({ ...change, n: randomUUID() });

export function parseAuthChange(payload: string): AuthChange | null {
  try {
    const { n: _nonce, ...change } = JSON.parse(payload) as AuthChange & { n?: string };
    return AUTH_KINDS.has(change.kind) ? change : null;
  } catch {
    return null;
  }
}
