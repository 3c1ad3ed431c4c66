// The product's words, shared by the data layer (as database enums) and the modules (as rules
// and schemas). They live here, below both, so that the schema never has to import a module.

export const ROLES = ["ADMIN", "MEMBER"] as const;
export type Role = (typeof ROLES)[number];

/** What each plan allows is a rule of the organisations module (plans.ts); only the names are shared. */
export const PLAN_NAMES = ["FREE", "PRO", "ENTERPRISE"] as const;
export type PlanName = (typeof PLAN_NAMES)[number];

export const INVITE_STATUSES = ["PENDING", "ACCEPTED", "REVOKED", "EXPIRED"] as const;

export const ACTIVITY_TYPES = [
  "USER_JOINED",
  "USER_REMOVED",
  "USER_ROLE_CHANGED",
  "PLAN_UPGRADED",
  "PLAN_DOWNGRADED",
  "BROADCAST_MESSAGE",
  "INVITE_SENT",
  "INVITE_REVOKED",
  "USER_LEFT",
  "ORGANISATION_RENAMED",
  "TWO_FACTOR_DISABLED",
  "SECURITY_POLICY_CHANGED",
  "ORGANISATION_SUSPENDED",
  "ORGANISATION_UNSUSPENDED",
] as const;
export type ActivityType = (typeof ACTIVITY_TYPES)[number];

/** Who did something, or whom it was about, as it stood when it happened. */
export type UserSummary = { id: string; name: string; email: string };
