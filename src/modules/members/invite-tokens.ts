import type { Config } from "../../config/env.ts";
import { ConflictError, GoneError, NotFoundError } from "../../lib/errors.ts";
import { hashToken } from "../../lib/tokens.ts";

/** How an invite token is stored: its HMAC, never the token. */
export const inviteTokenHasher = (config: Config) => (token: string) => hashToken(config.JWT_REFRESH_SECRET, "invite", token);

/** Throws the answer for an invite that cannot be accepted: unknown or revoked 404, used 409, expired 410. */
export function assertAcceptable<T extends { status: string; expiresAt: Date }>(invite: T | undefined): asserts invite is T {
  if (!invite || invite.status === "REVOKED") throw new NotFoundError("Invite not found");
  if (invite.status === "ACCEPTED") throw new ConflictError("This invite has already been used");
  if (invite.status === "EXPIRED" || invite.expiresAt.getTime() <= Date.now())
    throw new GoneError("This invite has expired", "INVITE_EXPIRED");
}
