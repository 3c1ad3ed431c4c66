CREATE TABLE "billing_events" (
	"event_id" text PRIMARY KEY NOT NULL,
	"type" text NOT NULL,
	"organisation_id" uuid,
	"received_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "billing_notices" (
	"reference" text NOT NULL,
	"kind" text NOT NULL,
	"organisation_id" uuid NOT NULL,
	"sent_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "billing_notices_reference_kind_pk" PRIMARY KEY("reference","kind")
);
--> statement-breakpoint
CREATE TABLE "billing_subscriptions" (
	"organisation_id" uuid PRIMARY KEY NOT NULL,
	"customer_id" text NOT NULL,
	"subscription_id" text NOT NULL,
	"status" text NOT NULL,
	"item_id" text,
	"price_id" text,
	"price_plan" "subscription_plan",
	"quantity" integer,
	"per_seat" boolean DEFAULT false NOT NULL,
	"trial_end" timestamp (3) with time zone,
	"current_period_end" timestamp (3) with time zone,
	"cancel_at_period_end" boolean DEFAULT false NOT NULL,
	"past_due_since" timestamp (3) with time zone,
	"synced_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "billing_subscriptions_subscriptionId_unique" UNIQUE("subscription_id")
);
--> statement-breakpoint
CREATE TABLE "jobs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"kind" text NOT NULL,
	"key" text NOT NULL,
	"organisation_id" uuid,
	"payload" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"generation" integer DEFAULT 0 NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"last_error" text,
	"claimed_by" text,
	"claimed_until" timestamp (3) with time zone,
	"done_at" timestamp (3) with time zone,
	"failed_at" timestamp (3) with time zone,
	"queued_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "organisations" ADD COLUMN "billing_customer_id" text;--> statement-breakpoint
ALTER TABLE "billing_notices" ADD CONSTRAINT "billing_notices_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "public"."organisations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_subscriptions" ADD CONSTRAINT "billing_subscriptions_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "public"."organisations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "billing_subscriptions_customer_idx" ON "billing_subscriptions" USING btree ("customer_id");--> statement-breakpoint
CREATE UNIQUE INDEX "jobs_open_key_idx" ON "jobs" USING btree ("kind","key") WHERE "jobs"."done_at" is null and "jobs"."failed_at" is null;--> statement-breakpoint
CREATE INDEX "jobs_due_idx" ON "jobs" USING btree ("next_attempt_at") WHERE "jobs"."done_at" is null and "jobs"."failed_at" is null;--> statement-breakpoint
ALTER TABLE "organisations" ADD CONSTRAINT "organisations_billingCustomerId_unique" UNIQUE("billing_customer_id");--> statement-breakpoint
-- Billing and jobs are the system's alone (webhooks, checkout, the job runner run in withSystem);
-- app_tenant is granted nothing on them. See 0001 and 0003 for the model.
ALTER TABLE billing_subscriptions ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE billing_subscriptions FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY system_access ON billing_subscriptions TO CURRENT_USER USING (current_setting('app.system', true) = 'on');--> statement-breakpoint
ALTER TABLE billing_events ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE billing_events FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY system_access ON billing_events TO CURRENT_USER USING (current_setting('app.system', true) = 'on');--> statement-breakpoint
ALTER TABLE billing_notices ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE billing_notices FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY system_access ON billing_notices TO CURRENT_USER USING (current_setting('app.system', true) = 'on');--> statement-breakpoint
ALTER TABLE jobs ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE jobs FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY system_access ON jobs TO CURRENT_USER USING (current_setting('app.system', true) = 'on');--> statement-breakpoint
-- Seats in step with membership, whatever changes it (an accept, a removal, leaving, an account
-- deleted and its memberships with it): while the organisation has a per-seat subscription that counts,
-- every change of its members opens (or bumps) its seat job, in the same transaction. The
-- function runs as the owner and opens the system policy for its own statements only, so a
-- tenant transaction can enqueue without seeing anything else of the system's.
CREATE FUNCTION enqueue_seat_sync() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
  organisation uuid := coalesce(NEW.organisation_id, OLD.organisation_id);
  system_before text := current_setting('app.system', true);
BEGIN
  PERFORM set_config('app.system', 'on', true);
  IF EXISTS (SELECT 1 FROM billing_subscriptions
             WHERE organisation_id = organisation AND per_seat AND status IN ('active', 'trialing', 'past_due')) THEN
    INSERT INTO jobs (kind, key, organisation_id) VALUES ('billing.sync_seats', organisation::text, organisation)
    ON CONFLICT (kind, key) WHERE done_at IS NULL AND failed_at IS NULL
    DO UPDATE SET generation = jobs.generation + 1;
    PERFORM pg_notify('jobs', '');
  END IF;
  PERFORM set_config('app.system', coalesce(system_before, ''), true);
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER memberships_seat_sync AFTER INSERT OR DELETE ON memberships
FOR EACH ROW EXECUTE FUNCTION enqueue_seat_sync();--> statement-breakpoint
-- An organisation deleted with a live subscription: its cancellation waits in a job (the
-- subscription row goes with the organisation, the job does not).
CREATE FUNCTION enqueue_subscription_cancel() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
  system_before text := current_setting('app.system', true);
BEGIN
  IF OLD.status NOT IN ('canceled', 'incomplete_expired') THEN
    PERFORM set_config('app.system', 'on', true);
    INSERT INTO jobs (kind, key, organisation_id, payload)
    VALUES ('billing.cancel_subscription', OLD.subscription_id, OLD.organisation_id,
            jsonb_build_object('subscriptionId', OLD.subscription_id))
    ON CONFLICT (kind, key) WHERE done_at IS NULL AND failed_at IS NULL DO NOTHING;
    PERFORM pg_notify('jobs', '');
    PERFORM set_config('app.system', coalesce(system_before, ''), true);
  END IF;
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER billing_subscriptions_cancel AFTER DELETE ON billing_subscriptions
FOR EACH ROW EXECUTE FUNCTION enqueue_subscription_cancel();
