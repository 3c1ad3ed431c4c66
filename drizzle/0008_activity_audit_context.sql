ALTER TABLE "activities" ADD COLUMN "request_id" text;--> statement-breakpoint
ALTER TABLE "activities" ADD COLUMN "ip" text;--> statement-breakpoint
ALTER TABLE "activities" ADD COLUMN "user_agent" text;--> statement-breakpoint
CREATE INDEX "activities_created_idx" ON "activities" USING btree ("created_at");