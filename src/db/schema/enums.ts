import { pgEnum } from "drizzle-orm/pg-core";
import { ACTIVITY_TYPES } from "../../modules/activity/activity.events.ts";
import { PLAN_NAMES } from "../../modules/organisations/plans.ts";
import { ROLES } from "../../lib/roles.ts";

export const subscriptionPlan = pgEnum("subscription_plan", PLAN_NAMES);
export const memberRole = pgEnum("member_role", ROLES);
export const inviteStatus = pgEnum("invite_status", ["PENDING", "ACCEPTED", "REVOKED", "EXPIRED"]);
export const activityType = pgEnum("activity_type", ACTIVITY_TYPES);
