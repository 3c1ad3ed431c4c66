-- Tenant isolation, the database half (the application half is withOrg() in src/db/tenant.ts).
--
-- withOrg() runs every tenant transaction as app_tenant with app.organisation_id set; the
-- policies below then hide and refuse every row of another organisation, even for a query
-- that forgets its WHERE clause. app_tenant owns nothing, bypasses nothing, and is granted
-- only what the API needs: it cannot read password hashes or refresh tokens, and it can only
-- append to the activity log.
--
-- RLS is FORCEd so that it also binds the table owner: an application that connects as the
-- owner (rather than a superuser) sees no tenant rows outside withOrg() unless withSystem()
-- has opened the system policy for that one transaction.

-- Roles are cluster-wide: another database on this server may have created it already, or a
-- DBA did (then the migrating role needs no CREATEROLE: CREATE ROLE is refused for lack of it
-- even when the role exists, hence the look first).
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'app_tenant') THEN
    CREATE ROLE app_tenant NOLOGIN;
  END IF;
EXCEPTION WHEN duplicate_object THEN
  NULL; -- created by a concurrent migration of another database
END
$$;--> statement-breakpoint
-- withOrg() switches to app_tenant, so the application's role must be a member of it.
DO $$
BEGIN
  IF NOT pg_has_role(current_user, 'app_tenant', 'MEMBER') THEN
    GRANT app_tenant TO CURRENT_USER;
  END IF;
END
$$;--> statement-breakpoint
GRANT USAGE ON SCHEMA public TO app_tenant;--> statement-breakpoint

GRANT SELECT, UPDATE ON organisations TO app_tenant;--> statement-breakpoint
GRANT SELECT (id, name, email, created_at) ON users TO app_tenant;--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON memberships TO app_tenant;--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON invites TO app_tenant;--> statement-breakpoint
GRANT SELECT, UPDATE ON sessions TO app_tenant;--> statement-breakpoint
GRANT SELECT, INSERT ON activities TO app_tenant;--> statement-breakpoint
GRANT USAGE ON SEQUENCE activities_id_seq TO app_tenant;--> statement-breakpoint

ALTER TABLE organisations ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE organisations FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON organisations TO app_tenant
  USING (id = nullif(current_setting('app.organisation_id', true), '')::uuid)
  WITH CHECK (id = nullif(current_setting('app.organisation_id', true), '')::uuid);--> statement-breakpoint

ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE memberships FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON memberships TO app_tenant
  USING (organisation_id = nullif(current_setting('app.organisation_id', true), '')::uuid)
  WITH CHECK (organisation_id = nullif(current_setting('app.organisation_id', true), '')::uuid);--> statement-breakpoint

ALTER TABLE invites ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE invites FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON invites TO app_tenant
  USING (organisation_id = nullif(current_setting('app.organisation_id', true), '')::uuid)
  WITH CHECK (organisation_id = nullif(current_setting('app.organisation_id', true), '')::uuid);--> statement-breakpoint

ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE sessions FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON sessions TO app_tenant
  USING (organisation_id = nullif(current_setting('app.organisation_id', true), '')::uuid)
  WITH CHECK (organisation_id = nullif(current_setting('app.organisation_id', true), '')::uuid);--> statement-breakpoint

ALTER TABLE activities ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE activities FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON activities TO app_tenant
  USING (organisation_id = nullif(current_setting('app.organisation_id', true), '')::uuid)
  WITH CHECK (organisation_id = nullif(current_setting('app.organisation_id', true), '')::uuid);--> statement-breakpoint

-- A user is visible to a tenant only while a member of it. (Feed entries keep a snapshot of
-- actor and target, so removed members still show there by name.)
ALTER TABLE users ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE users FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON users TO app_tenant
  USING (EXISTS (
    SELECT 1 FROM memberships m
    WHERE m.user_id = users.id
      AND m.organisation_id = nullif(current_setting('app.organisation_id', true), '')::uuid
  ));--> statement-breakpoint

ALTER TABLE refresh_tokens ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE refresh_tokens FORCE ROW LEVEL SECURITY;--> statement-breakpoint

-- The system policy: open only inside withSystem(), and never to the tenant role.
DO $$
DECLARE
  scoped text;
BEGIN
  FOREACH scoped IN ARRAY ARRAY['organisations', 'users', 'memberships', 'invites', 'sessions', 'refresh_tokens', 'activities']
  LOOP
    EXECUTE format(
      'CREATE POLICY system_access ON %I USING (current_user <> %L AND current_setting(%L, true) = %L)',
      scoped, 'app_tenant', 'app.system', 'on'
    );
  END LOOP;
END
$$;
