-- Row-level security for the outbox and password resets (see 0001 and 0003 for the model).
--
-- app_tenant may only queue mail of its own organisation (an invitation is written inside the
-- invite's tenant transaction); it can neither read the outbox nor touch password resets. The
-- mail sender and the reset flows run as the owner, through the system policy.
SELECT set_config('app.system', 'on', true);--> statement-breakpoint
-- Sessions opened before this migration: last used when they were opened, as far as we know.
UPDATE sessions SET last_used_at = created_at;--> statement-breakpoint
GRANT INSERT ON outbox TO app_tenant;--> statement-breakpoint
ALTER TABLE outbox ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE outbox FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_queues_mail ON outbox FOR INSERT TO app_tenant
  WITH CHECK (organisation_id = nullif(current_setting('app.organisation_id', true), '')::uuid);--> statement-breakpoint
CREATE POLICY system_access ON outbox TO CURRENT_USER USING (current_setting('app.system', true) = 'on');--> statement-breakpoint
ALTER TABLE password_resets ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE password_resets FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY system_access ON password_resets TO CURRENT_USER USING (current_setting('app.system', true) = 'on');
