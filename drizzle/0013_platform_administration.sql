CREATE TABLE "platform_audit" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"operator_id" uuid NOT NULL,
	"operator_email" text NOT NULL,
	"action" text NOT NULL,
	"target_type" text NOT NULL,
	"target_id" uuid,
	"reason" text,
	"detail" jsonb,
	"request_id" text,
	"ip" text,
	"user_agent" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "activities" DROP CONSTRAINT "activities_type_known";--> statement-breakpoint
ALTER TABLE "organisations" ADD COLUMN "suspended_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "organisations" ADD COLUMN "suspended_reason" text;--> statement-breakpoint
ALTER TABLE "organisations" ADD COLUMN "comp_plan" "subscription_plan";--> statement-breakpoint
ALTER TABLE "organisations" ADD COLUMN "comp_until" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "organisations" ADD COLUMN "comp_reason" text;--> statement-breakpoint
ALTER TABLE "organisations" ADD COLUMN "comp_previous_plan" "subscription_plan";--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "platform_role" text;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "disabled_at" timestamp (3) with time zone;--> statement-breakpoint
CREATE INDEX "platform_audit_created_idx" ON "platform_audit" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "platform_audit_target_idx" ON "platform_audit" USING btree ("target_id");--> statement-breakpoint
ALTER TABLE "activities" ADD CONSTRAINT "activities_type_known" CHECK (type in ('USER_JOINED', 'USER_REMOVED', 'USER_ROLE_CHANGED', 'PLAN_UPGRADED', 'PLAN_DOWNGRADED', 'BROADCAST_MESSAGE', 'INVITE_SENT', 'INVITE_REVOKED', 'USER_LEFT', 'ORGANISATION_RENAMED', 'TWO_FACTOR_DISABLED', 'SECURITY_POLICY_CHANGED', 'ORGANISATION_SUSPENDED', 'ORGANISATION_UNSUSPENDED'));--> statement-breakpoint
-- The operators' log is the system's alone; tenants see whether a member is disabled (the session
-- guard refuses their requests) and nothing of who operates the platform.
GRANT SELECT (disabled_at) ON users TO app_tenant;--> statement-breakpoint
ALTER TABLE platform_audit ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE platform_audit FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY system_access ON platform_audit TO CURRENT_USER USING (current_setting('app.system', true) = 'on');
