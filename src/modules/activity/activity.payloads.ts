import { z } from "@hono/zod-openapi";
import { PlanSchema, RoleSchema, UserSummarySchema } from "../../lib/schemas.ts";
import type { ActivityType } from "../../lib/vocabulary.ts";

/**
 * The payload of each event type — what the feed calls `metadata` and the socket `payload` —
 * as schemas: the server's types come from them (activity.events.ts), and so do the socket
 * messages in the AsyncAPI document and the client SDK's types. One source; nothing can drift.
 */
const planSource = z.enum(["billing", "comp"]).optional().openapi({
  description: "billing: a subscription changed it; comp: the platform's operators did (no actor either way); absent: an ADMIN",
});

export const ACTIVITY_PAYLOADS = {
  USER_JOINED: z.object({ userId: z.uuid(), name: z.string(), email: z.string(), role: RoleSchema }),
  USER_REMOVED: z.object({ userId: z.uuid(), removedBy: UserSummarySchema }),
  USER_ROLE_CHANGED: z.object({ userId: z.uuid(), from: RoleSchema, to: RoleSchema, changedBy: UserSummarySchema }),
  PLAN_UPGRADED: z.object({ from: PlanSchema, to: PlanSchema, upgradedAt: z.string(), source: planSource }),
  PLAN_DOWNGRADED: z.object({ from: PlanSchema, to: PlanSchema, downgradedAt: z.string(), source: planSource }),
  BROADCAST_MESSAGE: z.object({ message: z.string(), sentBy: UserSummarySchema, sentAt: z.string() }),
  INVITE_SENT: z.object({ inviteId: z.uuid(), email: z.string(), role: RoleSchema, invitedBy: UserSummarySchema }),
  INVITE_REVOKED: z.object({ inviteId: z.uuid(), email: z.string(), revokedBy: UserSummarySchema }),
  USER_LEFT: z.object({ userId: z.uuid(), name: z.string(), email: z.string(), accountDeleted: z.boolean() }),
  ORGANISATION_RENAMED: z.object({ from: z.string(), to: z.string(), renamedBy: UserSummarySchema }),
  TWO_FACTOR_DISABLED: z.object({ userId: z.uuid(), name: z.string(), email: z.string() }),
  SECURITY_POLICY_CHANGED: z.object({ requireTwoFactor: z.boolean(), changedBy: UserSummarySchema }),
  ORGANISATION_SUSPENDED: z.object({ reason: z.string(), suspendedAt: z.string() }),
  ORGANISATION_UNSUSPENDED: z.object({ reason: z.string(), unsuspendedAt: z.string() }),
} as const satisfies Record<ActivityType, z.ZodType>;

export type ActivityPayloads = { [K in ActivityType]: z.infer<(typeof ACTIVITY_PAYLOADS)[K]> };
