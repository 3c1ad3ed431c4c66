-- Activity type as text with a CHECK: enum equality is not leakproof, so under row-level
-- security PostgreSQL would not use `type = …` as an index condition (see src/db/schema/activities.ts).
ALTER TABLE "activities" ALTER COLUMN "type" SET DATA TYPE text;--> statement-breakpoint
ALTER TABLE "activities" ADD CONSTRAINT "activities_type_known" CHECK (type in ('USER_JOINED', 'USER_REMOVED', 'USER_ROLE_CHANGED', 'PLAN_UPGRADED', 'PLAN_DOWNGRADED', 'BROADCAST_MESSAGE', 'INVITE_SENT', 'INVITE_REVOKED'));--> statement-breakpoint
DROP TYPE "public"."activity_type";