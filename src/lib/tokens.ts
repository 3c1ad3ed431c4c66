import { createHmac, randomBytes } from "node:crypto";

/** An opaque bearer secret: 256 random bits, URL-safe. */
export const generateToken = (): string => randomBytes(32).toString("base64url");

/**
 * How opaque tokens are stored: HMAC-SHA256 under a server secret, so a leaked table is
 * useless without the key. `purpose` keeps a refresh token from ever matching an invite.
 */
export const hashToken = (
  key: string,
  purpose: "refresh" | "invite" | "reset" | "verify" | "mfa" | "recovery" | "password",
  token: string,
): string => createHmac("sha256", key).update(`${purpose}:${token}`).digest("base64url");
