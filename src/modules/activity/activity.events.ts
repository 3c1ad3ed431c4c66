import type { ActivityType, PlanName, Role, UserSummary } from "../../lib/vocabulary.ts";

/** The payload of each event type: what the feed calls `metadata` and the socket `payload`. */
type ActivityPayloads = {
  USER_JOINED: { userId: string; name: string; email: string; role: Role };
  USER_REMOVED: { userId: string; removedBy: UserSummary };
  USER_ROLE_CHANGED: { userId: string; from: Role; to: Role; changedBy: UserSummary };
  /** `source`: "billing" when a subscription changed it, "comp" when an operator did (no actor either way); absent when an ADMIN did. */
  PLAN_UPGRADED: { from: PlanName; to: PlanName; upgradedAt: string; source?: "billing" | "comp" };
  PLAN_DOWNGRADED: { from: PlanName; to: PlanName; downgradedAt: string; source?: "billing" | "comp" };
  BROADCAST_MESSAGE: { message: string; sentBy: UserSummary; sentAt: string };
  INVITE_SENT: { inviteId: string; email: string; role: Role; invitedBy: UserSummary };
  INVITE_REVOKED: { inviteId: string; email: string; revokedBy: UserSummary };
  USER_LEFT: { userId: string; name: string; email: string; accountDeleted: boolean };
  ORGANISATION_RENAMED: { from: string; to: string; renamedBy: UserSummary };
  /** A member turned their authenticator-app codes off (written in each of their organisations). */
  TWO_FACTOR_DISABLED: { userId: string; name: string; email: string };
  SECURITY_POLICY_CHANGED: { requireTwoFactor: boolean; changedBy: UserSummary };
  /** By the platform's operators: the reason is theirs, shown to the organisation's ADMINs. */
  ORGANISATION_SUSPENDED: { reason: string; suspendedAt: string };
  ORGANISATION_UNSUSPENDED: { reason: string; unsuspendedAt: string };
};

/** One change to record: its type, payload and the member it concerns, if any. */
export type ActivityEvent = {
  [K in ActivityType]: { type: K; payload: ActivityPayloads[K]; target?: UserSummary | null };
}[ActivityType];

const BY_SOURCE = { billing: "by the subscription", comp: "by the platform's operators" } as const;

/** The human sentence shown in the feed. A broadcast's sentence is its text. */
export function describeActivity(event: ActivityEvent, actor: UserSummary | null): string {
  const who = actor?.name ?? "Someone";
  switch (event.type) {
    case "USER_JOINED":
      return `${event.payload.name} joined as ${event.payload.role}`;
    case "USER_REMOVED":
      return `${who} removed ${event.target?.name ?? "a member"}`;
    case "USER_ROLE_CHANGED":
      return `${who} changed ${event.target?.name ?? "a member"}'s role from ${event.payload.from} to ${event.payload.to}`;
    case "PLAN_UPGRADED":
      return event.payload.source
        ? `The plan was upgraded from ${event.payload.from} to ${event.payload.to} ${BY_SOURCE[event.payload.source]}`
        : `${who} upgraded the plan from ${event.payload.from} to ${event.payload.to}`;
    case "PLAN_DOWNGRADED":
      return event.payload.source
        ? `The plan was downgraded from ${event.payload.from} to ${event.payload.to} ${BY_SOURCE[event.payload.source]}`
        : `${who} downgraded the plan from ${event.payload.from} to ${event.payload.to}`;
    case "BROADCAST_MESSAGE":
      return event.payload.message;
    case "TWO_FACTOR_DISABLED":
      return `${event.payload.name} turned off two-factor codes`;
    case "ORGANISATION_SUSPENDED":
      return `The platform's operators suspended the organisation: ${event.payload.reason}`;
    case "ORGANISATION_UNSUSPENDED":
      return `The platform's operators lifted the suspension: ${event.payload.reason}`;
    case "SECURITY_POLICY_CHANGED":
      return event.payload.requireTwoFactor
        ? `${who} now requires a second factor of every member`
        : `${who} no longer requires a second factor`;
    case "INVITE_SENT":
      return `${who} invited ${event.payload.email} as ${event.payload.role}`;
    case "INVITE_REVOKED":
      return `${who} revoked the invite for ${event.payload.email}`;
    case "USER_LEFT":
      return event.payload.accountDeleted ? `${event.payload.name} deleted their account` : `${event.payload.name} left the organisation`;
    case "ORGANISATION_RENAMED":
      return `${who} renamed the organisation from ${event.payload.from} to ${event.payload.to}`;
  }
}
