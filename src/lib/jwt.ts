import jwt from "jsonwebtoken";
import { z } from "zod";
import { ROLES, type Role } from "./vocabulary.ts";

/** `orgId` and `role` are null for a session of an account in no organisation. */
export type AccessClaims = { userId: string; orgId: string | null; role: Role | null; sessionId: string; expiresAt: number };

const ALGORITHM = "HS256";

const claimsSchema = z.object({
  sub: z.uuid(),
  org: z.uuid().nullable(),
  role: z.enum(ROLES).nullable(),
  sid: z.uuid(),
  typ: z.literal("access"),
  exp: z.number(),
});

export function signAccessToken(claims: Omit<AccessClaims, "expiresAt">, secret: string, expiresInSeconds: number): string {
  return jwt.sign({ org: claims.orgId, role: claims.role, sid: claims.sessionId, typ: "access" }, secret, {
    algorithm: ALGORITHM,
    subject: claims.userId,
    expiresIn: expiresInSeconds,
  });
}

/**
 * The claims of a valid access token, or null. The algorithm is pinned (no `none`, no
 * RS/HS confusion) and `typ` must say "access", so no other token we mint can pass as one.
 */
export function verifyAccessToken(token: string, secret: string, { ignoreExpiration = false } = {}): AccessClaims | null {
  let decoded: unknown;
  try {
    decoded = jwt.verify(token, secret, { algorithms: [ALGORITHM], ignoreExpiration });
  } catch {
    return null;
  }
  const claims = claimsSchema.safeParse(decoded);
  if (!claims.success) return null;
  const { sub, org, role, sid, exp } = claims.data;
  return { userId: sub, orgId: org, role, sessionId: sid, expiresAt: exp * 1000 };
}

/**
 * Verifies access tokens signed with `secret`, remembering the ones that passed until they
 * expire. A client presents the same token on every request of its life, and each
 * request used to verify it twice (rate-limit key, then auth): an HMAC and a claims parse of
 * ~20 µs each, where a Map lookup costs next to nothing. Only successes are kept, so forged
 * tokens never occupy it; revocation is not its business (the session guard checks that).
 */
export function createAccessTokenVerifier(secret: string, maxEntries = 10_000) {
  const verified = new Map<string, AccessClaims>();
  const verify = (token: string): AccessClaims | null => {
    const known = verified.get(token);
    if (known && known.expiresAt > Date.now()) return known;
    if (known) verified.delete(token);
    const claims = verifyAccessToken(token, secret);
    if (!claims) return null;
    if (verified.size >= maxEntries) verified.delete(verified.keys().next().value as string);
    verified.set(token, Object.freeze(claims));
    return claims;
  };
  /** How many tokens it remembers now (never more than `maxEntries`). */
  return Object.defineProperty(verify, "remembered", { get: () => verified.size }) as typeof verify & { readonly remembered: number };
}
