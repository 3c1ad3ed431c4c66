import type { Role } from "./vocabulary.ts";

/** The verified caller: from the access token, with the role as it stands now. */
export type AuthContext = {
  userId: string;
  orgId: string;
  role: Role;
  sessionId: string;
  /** When the access token expires (ms since epoch); sockets close then. */
  expiresAt: number;
  name: string;
  email: string;
  /** The request acting for them, when there is one: what the audit log records. */
  origin?: ClientOrigin;
};

/**
 * Where a request came from, as sessions and the audit log record it: its request id, the
 * address the rate limits saw, and the client's own description.
 */
export type ClientOrigin = { requestId: string | null; ip: string | null; userAgent: string | null; forwardedRequestId?: string | null };
