import type { SessionMethod } from "../../db/schema/index.ts";
import { defineRead } from "../../db/tenant-reads.ts";

/** A session whose refresh-token family can still be used: it has an unspent, unexpired token. */
export const LIVE_FAMILY = `exists (select 1 from refresh_tokens where refresh_tokens.session_id = sessions.id
              and refresh_tokens.used_at is null and refresh_tokens.expires_at > now())`;

export type SessionRow = {
  id: string;
  organisation_id: string | null;
  organisation_name: string | null;
  created_at: Date;
  last_used_at: Date;
  user_agent: string | null;
  ip: string | null;
  method: SessionMethod;
};

/**
 * A user's live sessions (not revoked, a refresh token not yet used or expired), in every
 * organisation, most recently used first, as one self-scoping statement (db/tenant-reads.ts).
 * The one hot read that crosses organisations, so the system policy is open and the user is its
 * WHERE clause, as withSystem's reads are.
 */
export const userSessionsRead = defineRead({
  name: "user_sessions",
  scope: "system",
  params: ["user_id uuid"],
  returns: [
    "id uuid",
    "organisation_id uuid",
    "organisation_name text",
    "created_at timestamptz",
    "last_used_at timestamptz",
    "user_agent text",
    "ip text",
    "method text",
  ],
  query: () => `
select sessions.id, sessions.organisation_id, organisations.name, sessions.created_at, sessions.last_used_at, sessions.user_agent,
       sessions.ip, sessions.method
from sessions
left join organisations on organisations.id = sessions.organisation_id
where sessions.user_id = $1 and sessions.revoked_at is null
  and ${LIVE_FAMILY}
order by sessions.last_used_at desc`,
});
