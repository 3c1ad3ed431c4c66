import type { Config } from "./config/env.ts";
import type { Db } from "./db/client.ts";
import type { AttemptLimiter } from "./lib/attempts.ts";
import type { Logger } from "./lib/logger.ts";
import type { PasswordHasher } from "./lib/passwords.ts";
import { createAccountService } from "./modules/account/index.ts";
import { createActivityService } from "./modules/activity/index.ts";
import type { SessionGuard } from "./modules/access/index.ts";
import { createAuthService, createSessionService } from "./modules/auth/index.ts";
import { createHealthService } from "./modules/health/index.ts";
import { createOrganisationService, type OrganisationViews } from "./modules/organisations/index.ts";
import { createAcceptInviteService, createInviteService, createMemberService } from "./modules/users/index.ts";

export type ServiceDeps = {
  db: Db;
  config: Config;
  logger: Logger;
  passwords: PasswordHasher;
  guard: SessionGuard;
  /** Organisation views, cached per instance and forgotten on every change. */
  views: OrganisationViews;
  /** Failed password checks per account (the credential budget's per-account half). */
  attempts: AttemptLimiter;
  /** Password-reset emails per address per hour. */
  resetRequests: AttemptLimiter;
};

/** Every service verb of the API, built once per app and handed to handlers on `c.var.services`. */
export function createServices(deps: ServiceDeps) {
  const sessions = createSessionService(deps);
  return {
    auth: createAuthService({ ...deps, sessions }),
    organisations: createOrganisationService(deps),
    members: createMemberService(deps),
    invites: createInviteService(deps),
    acceptInvite: createAcceptInviteService({ ...deps, sessions }),
    activities: createActivityService(deps),
    health: createHealthService(deps),
    account: createAccountService({ ...deps, sessions }),
  };
}

export type Services = ReturnType<typeof createServices>;
