// Second factors: TOTP with recovery codes, passkeys, and the login's second step.
import type { Config } from "../../config/env.ts";
import type { Db } from "../../db/client.ts";
import type { AttemptLimiter } from "../../lib/attempts.ts";
import type { Logger } from "../../lib/logger.ts";
import type { PasswordHasher } from "../../lib/passwords.ts";
import type { PublicUrl } from "../../lib/public-url.ts";
import type { SessionService } from "../sessions/index.ts";
import { createChallenges } from "./challenges.ts";
import { createPasskeyService } from "./passkeys.service.ts";
import { relyingParty } from "./relying-party.ts";
import { createSecondSteps } from "./second-steps.ts";
import { createTwoFactorService } from "./two-factor.service.ts";

export { AuthenticationBody, VerifyBody } from "./factors.schemas.ts";
export type { PasskeyService } from "./passkeys.service.ts";
export type { SecondSteps } from "./second-steps.ts";
export { SECOND_FACTOR_METHODS, type SecondFactorMethod, secondFactorMethods } from "./standing.ts";
export { currentCode } from "./totp.ts";
export type { TwoFactorService } from "./two-factor.service.ts";

type Deps = {
  db: Db;
  config: Config;
  links: PublicUrl;
  logger: Logger;
  passwords: PasswordHasher;
  attempts: AttemptLimiter;
  sessions: SessionService;
};

/** The second-factor services, sharing one challenge store. */
export function createFactors({ db, config, links, logger, passwords, attempts, sessions }: Deps) {
  const challenges = createChallenges(config.JWT_REFRESH_SECRET);
  const twoFactor = createTwoFactorService({ db, config, passwords, attempts });
  return {
    twoFactor,
    passkeys: createPasskeyService({ db, challenges, relyingParty: relyingParty(config, links), logger }),
    secondSteps: createSecondSteps({ db, challenges, twoFactor, attempts, passwordFingerprint: sessions.passwordFingerprint }),
  };
}

export type Factors = ReturnType<typeof createFactors>;
