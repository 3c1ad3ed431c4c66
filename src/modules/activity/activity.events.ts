import type { ActivityType, UserSummary } from "../../lib/vocabulary.ts";
import type { ActivityPayloads } from "./activity.payloads.ts";

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
