import * as OTPAuth from "otpauth";

// RFC 6238 through otpauth: 6 digits, 30-second steps, SHA-1 (what every authenticator app reads).
const PERIOD_SECONDS = 30;
const DRIFT_STEPS = 1;

const totpOf = (secret: string, label = "", issuer = "") =>
  new OTPAuth.TOTP({ issuer, label, secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: PERIOD_SECONDS, algorithm: "SHA1" });

/** A fresh 160-bit secret, base32 (what authenticator apps take by hand). */
export const newTotpSecret = (): string => new OTPAuth.Secret({ size: 20 }).base32;

/** The `otpauth://` URL an authenticator app reads from a QR code. */
export const otpauthUrl = (secret: string, account: string, issuer: string): string => totpOf(secret, account, issuer).toString();

/**
 * The time step `code` belongs to, if it is valid within ±1 step of now (clock drift), else
 * null. The caller accepts it only when the step is newer than the last one it accepted, so a
 * code works once even inside its window.
 */
export function stepOf(secret: string, code: string, now = Date.now()): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const delta = totpOf(secret).validate({ token: code, timestamp: now, window: DRIFT_STEPS });
  return delta === null ? null : Math.floor(now / 1000 / PERIOD_SECONDS) + delta;
}

/** The code of the current step (tests and scripts acting as the user's authenticator). */
export const currentCode = (secret: string, now = Date.now()): string => totpOf(secret).generate({ timestamp: now });
