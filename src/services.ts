import { sql } from "drizzle-orm";
import type { Config } from "./config/env.ts";
import type { Db } from "./db/client.ts";
import type { AttemptLimiter } from "./lib/attempts.ts";
import type { Logger } from "./lib/logger.ts";
import type { PasswordHasher } from "./lib/passwords.ts";
import { createActivityService } from "./modules/activity/activity.service.ts";
import { createAuthService } from "./modules/auth/auth.service.ts";
import type { SessionGuard } from "./modules/auth/session-guard.ts";
import { createSessionService } from "./modules/auth/sessions.service.ts";
import { createOrganisationService } from "./modules/organisations/organisations.service.ts";
import { createInviteService } from "./modules/users/invites.service.ts";
import { createMemberService } from "./modules/users/members.service.ts";

export type ServiceDeps = {
  db: Db;
  config: Config;
  logger: Logger;
  passwords: PasswordHasher;
  guard: SessionGuard;
  /** Failed password checks per account (the credential budget's per-account half). */
  attempts: AttemptLimiter;
};

/** Every service verb of the API, built once per app and handed to handlers on `c.var.services`. */
export function createServices(deps: ServiceDeps) {
  const sessions = createSessionService(deps);
  return {
    auth: createAuthService({ ...deps, sessions }),
    organisations: createOrganisationService(deps),
    members: createMemberService(deps),
    invites: createInviteService({ ...deps, sessions }),
    activities: createActivityService(deps),
    health: {
      databaseReachable: () =>
        deps.db.execute(sql`select 1`).then(
          () => true,
          () => false,
        ),
    },
  };
}

export type Services = ReturnType<typeof createServices>;
