import { defineRead } from "../../db/tenant-reads.ts";
import type { Role, UserSummary } from "../../lib/vocabulary.ts";

// The members module's hot reads, each one self-scoping statement (db/tenant-reads.ts). Both
// are keyset pages on (time, id) along their index, so a page costs the page whatever the
// organisation's size (tests/query-plans.test.ts, and membersDepth in the bench).

export type MemberRow = { id: string; name: string; email: string; role: Role; joined_at: Date };

/** A page of members in the order they joined (`page_size + 1` rows: the last only says more follow), along memberships_org_joined_idx. */
export const membersPageRead = defineRead({
  name: "members_page",
  scope: "organisation",
  params: ["organisation uuid", "page_size integer", "after_time timestamptz", "after_id uuid"],
  returns: ["id uuid", "name text", "email text", "role text", "joined_at timestamptz"],
  flags: { resumed: "$3 is not null" },
  query: ({ resumed }) => `
select users.id, users.name, users.email, memberships.role::text, memberships.created_at
from memberships
join users on users.id = memberships.user_id
where memberships.organisation_id = $1${resumed ? " and (memberships.created_at, memberships.user_id) > ($3, $4)" : ""}
order by memberships.created_at, memberships.user_id
limit $2 + 1`,
});

/** `inviter`: null when the inviter has closed their account since (the left join finds no one). */
export type PendingInviteRow = { id: string; email: string; role: Role; expires_at: Date; created_at: Date; inviter: UserSummary | null };

/** A page of pending invites, oldest first (`page_size + 1` rows), along invites_pending_org_created_idx. Never their tokens. */
export const pendingInvitesPageRead = defineRead({
  name: "pending_invites_page",
  scope: "organisation",
  params: ["organisation uuid", "page_size integer", "after_time timestamptz", "after_id uuid"],
  returns: ["id uuid", "email text", "role text", "expires_at timestamptz", "created_at timestamptz", "inviter json"],
  flags: { resumed: "$3 is not null" },
  query: ({ resumed }) => `
select invites.id, invites.email, invites.role::text, invites.expires_at, invites.created_at,
       case when users.id is null then null else json_build_object('id', users.id, 'name', users.name, 'email', users.email) end
from invites
left join users on users.id = invites.invited_by
where invites.organisation_id = $1 and invites.status = 'PENDING' and invites.expires_at > now()${
    resumed ? " and (invites.created_at, invites.id) > ($3, $4)" : ""
  }
order by invites.created_at, invites.id
limit $2 + 1`,
});
