import type { Config } from "../../config/env.ts";
import type { PublicUrl } from "../../lib/public-url.ts";

/**
 * Who passkeys are for: WEBAUTHN_RP_ID, else the host of APP_URL (else of this server, known
 * once it listens); and the origins a ceremony may come from: WEBAUTHN_ORIGINS, else that same
 * URL's origin. A passkey is bound to its RP id for good: changing it later orphans every one.
 */
export function relyingParty(config: Pick<Config, "WEBAUTHN_RP_ID" | "WEBAUTHN_ORIGINS">, links: PublicUrl) {
  const base = () => new URL(links.to("/"));
  return {
    name: "SaaS backend",
    id: () => config.WEBAUTHN_RP_ID ?? base().hostname,
    origins: () => (config.WEBAUTHN_ORIGINS.length > 0 ? config.WEBAUTHN_ORIGINS.map((origin) => new URL(origin).origin) : [base().origin]),
  };
}

export type RelyingParty = ReturnType<typeof relyingParty>;
