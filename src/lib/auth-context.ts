import type { Role } from "./vocabulary.ts";

/**
 * The verified caller of a route that needs an account but no organisation (its sessions, its
 * password, creating an organisation): from the access token, as it stands now. `orgId` and
 * `role` are null for a session of an account that belongs to no organisation.
 */
export type AccountContext = {
  userId: string;
  orgId: string | null;
  role: Role | null;
  sessionId: string;
  /** When the access token expires (ms since epoch); sockets close then. */
  expiresAt: number;
  name: string;
  email: string;
  /** The request acting for them, when there is one: what the audit log records. */
  origin?: ClientOrigin;
  /** The organisation requires a second factor and they have none: the session may only set one up. */
  secondFactorMissing?: boolean;
  /** The operators suspended the session's organisation. */
  suspended?: boolean;
  /** The operators disabled the account. */
  disabled?: boolean;
};

/** The verified caller as a member of the organisation of their session, with the role as it stands now. */
export type AuthContext = AccountContext & { orgId: string; role: Role };

/**
 * Where a request came from, as sessions and the audit log record it: its request id, the
 * address the rate limits saw, and the client's own description.
 */
export type ClientOrigin = { requestId: string | null; ip: string | null; userAgent: string | null; forwardedRequestId?: string | null };
