import { sql } from "drizzle-orm";
import { type AnyPgColumn, index, pgTable, text, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, timestampTz } from "./columns.ts";
import { organisations } from "./organisations.ts";
import { users } from "./users.ts";

export const SESSION_METHODS = ["password", "password+totp", "recovery_code", "passkey"] as const;
export type SessionMethod = (typeof SESSION_METHODS)[number];

/**
 * A session is one login in one organisation (or in none: an account with no organisation can
 * still sign in, to create one, accept an invitation or close the account): the `sid` of its
 * access tokens and the family of its refresh tokens. Revoking it kills both at once.
 *
 * A session made from another one (switch-organisation) is its descendant (`parentId`):
 * revoking a session as a credential — logout, ending it, a reused refresh token — revokes its
 * descendants too, so a stolen token cannot mint a session that outlives it.
 */
export const sessions = pgTable(
  "sessions",
  {
    id: id(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** Null for a session of an account that belongs to no organisation (yet, or any more). */
    organisationId: uuid().references(() => organisations.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
    /** When its tokens were last issued (sign-in, each refresh): "last used" to within an access token's life. */
    lastUsedAt: timestampTz().notNull().defaultNow(),
    /** The client that opened it, as it said and as the rate limits saw it; shown to its owner. */
    userAgent: text(),
    ip: text(),
    revokedAt: timestampTz(),
    parentId: uuid().references((): AnyPgColumn => sessions.id, { onDelete: "set null" }),
    /** How it was signed in to: password, password+totp, recovery_code, passkey (a descendant inherits its parent's). */
    method: text().$type<SessionMethod>().notNull().default("password"),
  },
  (table) => [
    index("sessions_user_org_idx").on(table.userId, table.organisationId),
    index("sessions_parent_idx").on(table.parentId).where(sql`${table.parentId} is not null`),
  ],
);

/** Refresh tokens are stored only as HMAC-SHA256 hashes; `usedAt` marks a rotated token. */
export const refreshTokens = pgTable(
  "refresh_tokens",
  {
    id: id(),
    sessionId: uuid()
      .notNull()
      .references(() => sessions.id, { onDelete: "cascade" }),
    tokenHash: text().notNull().unique(),
    expiresAt: timestampTz().notNull(),
    usedAt: timestampTz(),
    createdAt: createdAt(),
  },
  (table) => [index("refresh_tokens_session_idx").on(table.sessionId)],
);
