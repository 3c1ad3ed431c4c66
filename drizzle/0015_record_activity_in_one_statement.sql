-- Hot reads and writes as self-scoping functions, written by `bun run db:reads` from src/reads.ts: record_activity.
create or replace function record_activity(p_organisation uuid, p_activity_type text, p_message text, p_actor jsonb, p_target jsonb, p_metadata jsonb, p_request_id text, p_ip text, p_user_agent text, p_forwarded_request_id text, p_traceparent text)
returns table (id text, created_at text, notification text)
language plpgsql
set plan_cache_mode = force_generic_plan
as $read$
#variable_conflict use_column
declare
  outer_role text := current_setting('role');
  outer_organisation text := coalesce(current_setting('app.organisation_id', true), '');
begin
  -- Never a way out of one organisation's scope into another's.
  if outer_organisation not in ('', $1::text) then
    raise exception 'a write to organisation % inside the scope of another', $1 using errcode = '42501';
  end if;
  perform set_config('role', 'app_tenant', true), set_config('app.organisation_id', $1::text, true);
  return query
    with counted as (
      update organisations set last_activity_id = last_activity_id + 1
      where id = $1::uuid
      returning id, last_activity_id
    ), inserted as (
      insert into activities (organisation_id, id, type, message, actor, target, metadata, request_id, ip, user_agent, forwarded_request_id)
      select id, last_activity_id, $2::text, $3::text, $4::jsonb, $5::jsonb, $6::jsonb, $7::text, $8::text, $9::text, $10::text
      from counted
      returning organisation_id, id, type, metadata, created_at
    ), announced as (
      select id, to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as created_at,
             json_build_object('o', organisation_id, 'i', id::text, 'a', to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 't', $11::text, 'm', json_build_object('type', type, 'payload', metadata, 'id', id::text, 'at', to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))::text)::text
               as with_message,
             json_build_object('o', organisation_id, 'i', id::text, 'a', to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 't', $11::text)::text as without_message
      from inserted
    ), chosen as (
      select id, created_at,
             case when octet_length(with_message) <= 7900 then with_message else without_message end as notification
      from announced
    )
    select chosen.id::text, chosen.created_at, chosen.notification
    from chosen, lateral (select pg_notify('activity', chosen.notification)) as sent;
  perform set_config('role', outer_role, true), set_config('app.organisation_id', outer_organisation, true);
end
$read$;
--> statement-breakpoint
revoke all on function record_activity(uuid, text, text, jsonb, jsonb, jsonb, text, text, text, text, text) from public;