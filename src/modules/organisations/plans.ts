import type { PlanName } from "../../lib/vocabulary.ts";

/** Plans and their limits: the one place that knows them. `memberLimit: null` is unlimited. */
export const PLANS = {
  FREE: { rank: 0, memberLimit: 3 },
  PRO: { rank: 1, memberLimit: 10 },
  ENTERPRISE: { rank: 2, memberLimit: null },
} as const satisfies Record<PlanName, { rank: number; memberLimit: number | null }>;

/** Members plus pending invites an organisation on `plan` may hold. */
export const memberLimitOf = (plan: PlanName): number | null => PLANS[plan].memberLimit;

/** Whether `seats` more members still fit beside `occupied` ones. */
export const hasRoomFor = (plan: PlanName, occupied: number, seats = 1): boolean => {
  const limit = memberLimitOf(plan);
  return limit === null || occupied + seats <= limit;
};

export const isUpgrade = (from: PlanName, to: PlanName): boolean => PLANS[to].rank > PLANS[from].rank;

export const seatLimitMessage = (plan: PlanName) =>
  `The ${plan} plan allows ${memberLimitOf(plan)} members including pending invites; upgrade the plan to invite more`;
