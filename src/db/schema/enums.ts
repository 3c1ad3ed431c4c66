import { pgEnum } from "drizzle-orm/pg-core";
import { INVITE_STATUSES, PLAN_NAMES, ROLES } from "../../lib/vocabulary.ts";

export const subscriptionPlan = pgEnum("subscription_plan", PLAN_NAMES);
export const memberRole = pgEnum("member_role", ROLES);
export const inviteStatus = pgEnum("invite_status", INVITE_STATUSES);
