-- The system policy applied to every role, app_tenant included (its expression excluded
-- app_tenant, but only at run time). PostgreSQL ORs permissive policies, so every tenant query
-- carried `tenant_isolation OR system_access`: the planner could no longer use the
-- organisation's index for ordered, limited reads, estimated a handful of rows where there were
-- thousands, and chose a bitmap scan of the organisation's whole history plus a sort — a page
-- got slower as a small organisation grew, and faster once it was large.
--
-- Now the system policy is granted only to the role that owns the tables (the one running this
-- migration, which is the application's own role), so app_tenant carries tenant_isolation
-- alone and every tenant query gets its index plan at every size (tests/query-plans.test.ts).
DO $$
DECLARE
  scoped text;
BEGIN
  FOREACH scoped IN ARRAY ARRAY['organisations', 'users', 'memberships', 'invites', 'sessions', 'refresh_tokens', 'activities']
  LOOP
    EXECUTE format('DROP POLICY system_access ON %I', scoped);
    EXECUTE format(
      'CREATE POLICY system_access ON %I TO CURRENT_USER USING (current_setting(%L, true) = %L)',
      scoped, 'app.system', 'on'
    );
  END LOOP;
END
$$;
