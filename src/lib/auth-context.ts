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
};

/** Where a request came from, as its session records it: the address the rate limits saw, and the client's own description. */
export type ClientOrigin = { ip: string | null; userAgent: string | null };
