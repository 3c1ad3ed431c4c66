import { sql } from "drizzle-orm";
import { bigint, boolean, index, pgTable, text, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, timestampTz } from "./columns.ts";
import { organisations } from "./organisations.ts";
import { users } from "./users.ts";

/**
 * A user's TOTP authenticator (RFC 6238). The secret is sealed (lib/sealed.ts): a dump of the
 * table cannot generate codes. It counts only once a first code was verified (`enabledAt`).
 * `lastUsedStep` is the time step of the newest code accepted: a code is accepted at most once.
 */
export const totpFactors = pgTable("totp_factors", {
  userId: uuid()
    .primaryKey()
    .references(() => users.id, { onDelete: "cascade" }),
  secret: text().notNull(),
  enabledAt: timestampTz(),
  lastUsedStep: bigint({ mode: "number" }),
  createdAt: createdAt(),
});

/** Ten per user while TOTP is on, stored as HMACs (lib/tokens.ts); each works once. A new set voids the old. */
export const recoveryCodes = pgTable(
  "recovery_codes",
  {
    id: id(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    codeHash: text().notNull().unique(),
    usedAt: timestampTz(),
    createdAt: createdAt(),
  },
  (table) => [index("recovery_codes_user_idx").on(table.userId)],
);

/**
 * A WebAuthn credential. `counter` is the authenticator's signature counter as last seen: one
 * that goes backwards means a cloned authenticator, and the passkey is flagged (`flaggedAt`) and
 * refused from then on.
 */
export const passkeys = pgTable(
  "passkeys",
  {
    id: id(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    credentialId: text().notNull().unique(),
    /** The COSE public key, base64url. */
    publicKey: text().notNull(),
    counter: bigint({ mode: "number" }).notNull().default(0),
    transports: text().array().notNull().default(sql`'{}'::text[]`),
    name: text().notNull(),
    backedUp: boolean().notNull().default(false),
    createdAt: createdAt(),
    lastUsedAt: timestampTz(),
    flaggedAt: timestampTz(),
  },
  (table) => [index("passkeys_user_idx").on(table.userId)],
);

export const CHALLENGE_PURPOSES = ["mfa", "passkey_registration", "passkey_login"] as const;
export type ChallengePurpose = (typeof CHALLENGE_PURPOSES)[number];

/**
 * Single-use, short-lived proofs in flight: a login's second step (`mfa`: the hash of the
 * mfaToken, the user, the organisation chosen and a fingerprint of the password it followed),
 * and WebAuthn challenges (the challenge itself, the user for a registration).
 */
export const authChallenges = pgTable(
  "auth_challenges",
  {
    id: id(),
    purpose: text().$type<ChallengePurpose>().notNull(),
    /** The mfaToken's HMAC, or the WebAuthn challenge (public by design: the client signs it). */
    secret: text().notNull().unique(),
    userId: uuid().references(() => users.id, { onDelete: "cascade" }),
    organisationId: uuid().references(() => organisations.id, { onDelete: "cascade" }),
    /** For `mfa`: HMAC of the password hash the first step checked; the second step fails if it changed. */
    passwordFingerprint: text(),
    expiresAt: timestampTz().notNull(),
    usedAt: timestampTz(),
    createdAt: createdAt(),
  },
  (table) => [index("auth_challenges_expiry_idx").on(table.expiresAt)],
);
