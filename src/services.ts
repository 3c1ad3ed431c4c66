import type { Config } from "./config/env.ts";
import type { Db } from "./db/client.ts";
import type { AttemptLimiter } from "./lib/attempts.ts";
import type { Logger } from "./lib/logger.ts";
import type { PasswordHasher } from "./lib/passwords.ts";
import type { PublicUrl } from "./lib/public-url.ts";
import { createAccountService, createEmailVerificationService, createPasswordResetService } from "./modules/account/index.ts";
import { createActivityService, type FeedCache } from "./modules/activity/index.ts";
import type { Admin } from "./modules/admin/index.ts";
import { createAuthService } from "./modules/auth/index.ts";
import type { Billing } from "./modules/billing/index.ts";
import type { OrganisationExport } from "./modules/data-export/index.ts";
import { createFactors } from "./modules/factors/index.ts";
import { createHealthService } from "./modules/health/index.ts";
import { createAcceptInviteService, createInviteService, createMemberService } from "./modules/members/index.ts";
import { createOrganisationService, type OrganisationCache } from "./modules/organisations/index.ts";
import { createSessionService, type SessionGuard } from "./modules/sessions/index.ts";

export type ServiceDeps = {
  /** This instance's handle: what commits through it, this instance hears at once. */
  db: Db;
  config: Config;
  /** Where links in emails point (APP_URL, else this server). */
  links: PublicUrl;
  logger: Logger;
  passwords: PasswordHasher;
  /** Whether a session is alive, cached per instance. */
  guard: SessionGuard;
  /** Organisation views, cached per instance. */
  organisationCache: OrganisationCache;
  /** First pages of the feed, cached per instance. */
  feedCache: FeedCache;
  /** Failed password checks per account (the credential budget's per-account half). */
  attempts: AttemptLimiter;
  /** Password-reset emails per address per hour. */
  resetRequests: AttemptLimiter;
  /** Invitation emails per recipient per hour. */
  inviteEmails: AttemptLimiter;
  /** Invitations per organisation per day. */
  organisationInvites: AttemptLimiter;
  /** Checkout, portal and webhooks (BILLING_PROVIDER), built with their background work by the composition root. */
  billing: Pick<Billing, "service" | "webhooks">;
  /** The operators' routes, built with the comp sweep by the composition root. */
  admin: Pick<Admin, "service">;
  /** One organisation's data as NDJSON (its ADMINs' export and the operators'). */
  exports: OrganisationExport;
};

/** Every service verb of the API, built once per app and handed to handlers on `c.get("services")`. */
export function createServices(deps: ServiceDeps) {
  const sessions = createSessionService(deps);
  const factors = createFactors({ ...deps, sessions });
  return {
    auth: createAuthService({ ...deps, sessions, factors }),
    twoFactor: factors.twoFactor,
    passkeys: factors.passkeys,
    organisations: createOrganisationService({ ...deps, sessions }),
    members: createMemberService(deps),
    invites: createInviteService(deps),
    acceptInvite: createAcceptInviteService({ ...deps, sessions, secondSteps: factors.secondSteps }),
    activities: createActivityService(deps),
    health: createHealthService(deps),
    account: createAccountService({ ...deps, sessions }),
    passwordReset: createPasswordResetService({ ...deps, sessions }),
    emailVerification: createEmailVerificationService(deps),
    billing: deps.billing.service,
    admin: deps.admin.service,
    organisationExport: deps.exports,
    billingWebhooks: deps.billing.webhooks,
  };
}

export type Services = ReturnType<typeof createServices>;
