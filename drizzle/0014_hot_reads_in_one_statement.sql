-- The hot reads as self-scoping functions, written by `bun run db:reads` from src/reads.ts: activity_feed_page, activity_messages_after, activity_export_batch, members_page, pending_invites_page, user_sessions.
create or replace function activity_feed_page(p_organisation uuid, p_page_size integer, p_before_id bigint, p_activity_type text, p_with_context boolean)
returns table (items text, more boolean, last_id text, oldest_at float8)
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
    raise exception 'a read of organisation % inside the scope of another', $1 using errcode = '42501';
  end if;
  perform set_config('role', 'app_tenant', true), set_config('app.organisation_id', $1::text, true);
  if $4 is not null then
    if $3 is not null then
      if $5 then
        return query
          select coalesce(json_agg(json_build_object('id', id::text, 'type', type, 'message', message, 'actor', actor,
              'target', target, 'metadata', metadata, 'createdAt', to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
              'context', json_build_object('requestId', request_id, 'ip', ip, 'userAgent', user_agent, 'forwardedRequestId', forwarded_request_id)) order by id desc) filter (where n <= $2), '[]')::text,
                 count(*) > $2,
                 (min(id) filter (where n <= $2))::text,
                 (extract(epoch from min(created_at) filter (where n <= $2)) * 1000)::float8
          from (
            -- JSON is built in the aggregate above, for the rows that make the page, not here for all of them.
            select *, row_number() over (order by id desc) as n
            from activities
            where organisation_id = $1 and type = $4 and id < $3
            order by id desc
            limit $2 + 1
          ) page;
      else
        return query
          select coalesce(json_agg(json_build_object('id', id::text, 'type', type, 'message', message, 'actor', actor,
              'target', target, 'metadata', metadata, 'createdAt', to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) order by id desc) filter (where n <= $2), '[]')::text,
                 count(*) > $2,
                 (min(id) filter (where n <= $2))::text,
                 (extract(epoch from min(created_at) filter (where n <= $2)) * 1000)::float8
          from (
            -- JSON is built in the aggregate above, for the rows that make the page, not here for all of them.
            select *, row_number() over (order by id desc) as n
            from activities
            where organisation_id = $1 and type = $4 and id < $3
            order by id desc
            limit $2 + 1
          ) page;
      end if;
    else
      if $5 then
        return query
          select coalesce(json_agg(json_build_object('id', id::text, 'type', type, 'message', message, 'actor', actor,
              'target', target, 'metadata', metadata, 'createdAt', to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
              'context', json_build_object('requestId', request_id, 'ip', ip, 'userAgent', user_agent, 'forwardedRequestId', forwarded_request_id)) order by id desc) filter (where n <= $2), '[]')::text,
                 count(*) > $2,
                 (min(id) filter (where n <= $2))::text,
                 (extract(epoch from min(created_at) filter (where n <= $2)) * 1000)::float8
          from (
            -- JSON is built in the aggregate above, for the rows that make the page, not here for all of them.
            select *, row_number() over (order by id desc) as n
            from activities
            where organisation_id = $1 and type = $4
            order by id desc
            limit $2 + 1
          ) page;
      else
        return query
          select coalesce(json_agg(json_build_object('id', id::text, 'type', type, 'message', message, 'actor', actor,
              'target', target, 'metadata', metadata, 'createdAt', to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) order by id desc) filter (where n <= $2), '[]')::text,
                 count(*) > $2,
                 (min(id) filter (where n <= $2))::text,
                 (extract(epoch from min(created_at) filter (where n <= $2)) * 1000)::float8
          from (
            -- JSON is built in the aggregate above, for the rows that make the page, not here for all of them.
            select *, row_number() over (order by id desc) as n
            from activities
            where organisation_id = $1 and type = $4
            order by id desc
            limit $2 + 1
          ) page;
      end if;
    end if;
  else
    if $3 is not null then
      if $5 then
        return query
          select coalesce(json_agg(json_build_object('id', id::text, 'type', type, 'message', message, 'actor', actor,
              'target', target, 'metadata', metadata, 'createdAt', to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
              'context', json_build_object('requestId', request_id, 'ip', ip, 'userAgent', user_agent, 'forwardedRequestId', forwarded_request_id)) order by id desc) filter (where n <= $2), '[]')::text,
                 count(*) > $2,
                 (min(id) filter (where n <= $2))::text,
                 (extract(epoch from min(created_at) filter (where n <= $2)) * 1000)::float8
          from (
            -- JSON is built in the aggregate above, for the rows that make the page, not here for all of them.
            select *, row_number() over (order by id desc) as n
            from activities
            where organisation_id = $1 and id < $3
            order by id desc
            limit $2 + 1
          ) page;
      else
        return query
          select coalesce(json_agg(json_build_object('id', id::text, 'type', type, 'message', message, 'actor', actor,
              'target', target, 'metadata', metadata, 'createdAt', to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) order by id desc) filter (where n <= $2), '[]')::text,
                 count(*) > $2,
                 (min(id) filter (where n <= $2))::text,
                 (extract(epoch from min(created_at) filter (where n <= $2)) * 1000)::float8
          from (
            -- JSON is built in the aggregate above, for the rows that make the page, not here for all of them.
            select *, row_number() over (order by id desc) as n
            from activities
            where organisation_id = $1 and id < $3
            order by id desc
            limit $2 + 1
          ) page;
      end if;
    else
      if $5 then
        return query
          select coalesce(json_agg(json_build_object('id', id::text, 'type', type, 'message', message, 'actor', actor,
              'target', target, 'metadata', metadata, 'createdAt', to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
              'context', json_build_object('requestId', request_id, 'ip', ip, 'userAgent', user_agent, 'forwardedRequestId', forwarded_request_id)) order by id desc) filter (where n <= $2), '[]')::text,
                 count(*) > $2,
                 (min(id) filter (where n <= $2))::text,
                 (extract(epoch from min(created_at) filter (where n <= $2)) * 1000)::float8
          from (
            -- JSON is built in the aggregate above, for the rows that make the page, not here for all of them.
            select *, row_number() over (order by id desc) as n
            from activities
            where organisation_id = $1
            order by id desc
            limit $2 + 1
          ) page;
      else
        return query
          select coalesce(json_agg(json_build_object('id', id::text, 'type', type, 'message', message, 'actor', actor,
              'target', target, 'metadata', metadata, 'createdAt', to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) order by id desc) filter (where n <= $2), '[]')::text,
                 count(*) > $2,
                 (min(id) filter (where n <= $2))::text,
                 (extract(epoch from min(created_at) filter (where n <= $2)) * 1000)::float8
          from (
            -- JSON is built in the aggregate above, for the rows that make the page, not here for all of them.
            select *, row_number() over (order by id desc) as n
            from activities
            where organisation_id = $1
            order by id desc
            limit $2 + 1
          ) page;
      end if;
    end if;
  end if;
  perform set_config('role', outer_role, true), set_config('app.organisation_id', outer_organisation, true);
end
$read$;
--> statement-breakpoint
revoke all on function activity_feed_page(uuid, integer, bigint, text, boolean) from public;
--> statement-breakpoint
create or replace function activity_messages_after(p_organisation uuid, p_after_id bigint, p_max_rows integer)
returns table (id text, message text, at text)
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
    raise exception 'a read of organisation % inside the scope of another', $1 using errcode = '42501';
  end if;
  perform set_config('role', 'app_tenant', true), set_config('app.organisation_id', $1::text, true);
  return query
    select id::text, json_build_object('type', type, 'payload', metadata, 'id', id::text, 'at', to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))::text, to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
    from activities
    where organisation_id = $1 and activities.id > $2
    order by activities.id
    limit $3;
  perform set_config('role', outer_role, true), set_config('app.organisation_id', outer_organisation, true);
end
$read$;
--> statement-breakpoint
revoke all on function activity_messages_after(uuid, bigint, integer) from public;
--> statement-breakpoint
create or replace function activity_export_batch(p_organisation uuid, p_after_id bigint, p_activity_type text, p_from_time timestamptz, p_to_time timestamptz, p_as_csv boolean)
returns table (id text, line text)
language plpgsql
set plan_cache_mode = force_custom_plan
as $read$
#variable_conflict use_column
declare
  outer_role text := current_setting('role');
  outer_organisation text := coalesce(current_setting('app.organisation_id', true), '');
begin
  -- Never a way out of one organisation's scope into another's.
  if outer_organisation not in ('', $1::text) then
    raise exception 'a read of organisation % inside the scope of another', $1 using errcode = '42501';
  end if;
  perform set_config('role', 'app_tenant', true), set_config('app.organisation_id', $1::text, true);
  if $3 is not null then
    if $6 then
      return query
        select id::text, json_build_array(id::text, to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), type, message, actor->>'id', actor->>'name', actor->>'email', target->>'id',
                 target->>'name', target->>'email', request_id, ip, user_agent, metadata::text, forwarded_request_id)::text
        from activities
        where organisation_id = $1 and activities.id > $2 and type = $3
          and created_at >= coalesce($4, '-infinity') and created_at < coalesce($5, 'infinity')
        order by activities.id
        limit 1000;
    else
      return query
        select id::text, json_build_object('id', id::text, 'type', type, 'message', message, 'actor', actor,
            'target', target, 'metadata', metadata, 'createdAt', to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
            'context', json_build_object('requestId', request_id, 'ip', ip, 'userAgent', user_agent, 'forwardedRequestId', forwarded_request_id))::text
        from activities
        where organisation_id = $1 and activities.id > $2 and type = $3
          and created_at >= coalesce($4, '-infinity') and created_at < coalesce($5, 'infinity')
        order by activities.id
        limit 1000;
    end if;
  else
    if $6 then
      return query
        select id::text, json_build_array(id::text, to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), type, message, actor->>'id', actor->>'name', actor->>'email', target->>'id',
                 target->>'name', target->>'email', request_id, ip, user_agent, metadata::text, forwarded_request_id)::text
        from activities
        where organisation_id = $1 and activities.id > $2
          and created_at >= coalesce($4, '-infinity') and created_at < coalesce($5, 'infinity')
        order by activities.id
        limit 1000;
    else
      return query
        select id::text, json_build_object('id', id::text, 'type', type, 'message', message, 'actor', actor,
            'target', target, 'metadata', metadata, 'createdAt', to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
            'context', json_build_object('requestId', request_id, 'ip', ip, 'userAgent', user_agent, 'forwardedRequestId', forwarded_request_id))::text
        from activities
        where organisation_id = $1 and activities.id > $2
          and created_at >= coalesce($4, '-infinity') and created_at < coalesce($5, 'infinity')
        order by activities.id
        limit 1000;
    end if;
  end if;
  perform set_config('role', outer_role, true), set_config('app.organisation_id', outer_organisation, true);
end
$read$;
--> statement-breakpoint
revoke all on function activity_export_batch(uuid, bigint, text, timestamptz, timestamptz, boolean) from public;
--> statement-breakpoint
create or replace function members_page(p_organisation uuid, p_page_size integer, p_after_time timestamptz, p_after_id uuid)
returns table (id uuid, name text, email text, role text, joined_at timestamptz)
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
    raise exception 'a read of organisation % inside the scope of another', $1 using errcode = '42501';
  end if;
  perform set_config('role', 'app_tenant', true), set_config('app.organisation_id', $1::text, true);
  if $3 is not null then
    return query
      select users.id, users.name, users.email, memberships.role::text, memberships.created_at
      from memberships
      join users on users.id = memberships.user_id
      where memberships.organisation_id = $1 and (memberships.created_at, memberships.user_id) > ($3, $4)
      order by memberships.created_at, memberships.user_id
      limit $2 + 1;
  else
    return query
      select users.id, users.name, users.email, memberships.role::text, memberships.created_at
      from memberships
      join users on users.id = memberships.user_id
      where memberships.organisation_id = $1
      order by memberships.created_at, memberships.user_id
      limit $2 + 1;
  end if;
  perform set_config('role', outer_role, true), set_config('app.organisation_id', outer_organisation, true);
end
$read$;
--> statement-breakpoint
revoke all on function members_page(uuid, integer, timestamptz, uuid) from public;
--> statement-breakpoint
create or replace function pending_invites_page(p_organisation uuid, p_page_size integer, p_after_time timestamptz, p_after_id uuid)
returns table (id uuid, email text, role text, expires_at timestamptz, created_at timestamptz, inviter json)
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
    raise exception 'a read of organisation % inside the scope of another', $1 using errcode = '42501';
  end if;
  perform set_config('role', 'app_tenant', true), set_config('app.organisation_id', $1::text, true);
  if $3 is not null then
    return query
      select invites.id, invites.email, invites.role::text, invites.expires_at, invites.created_at,
             case when users.id is null then null else json_build_object('id', users.id, 'name', users.name, 'email', users.email) end
      from invites
      left join users on users.id = invites.invited_by
      where invites.organisation_id = $1 and invites.status = 'PENDING' and invites.expires_at > now() and (invites.created_at, invites.id) > ($3, $4)
      order by invites.created_at, invites.id
      limit $2 + 1;
  else
    return query
      select invites.id, invites.email, invites.role::text, invites.expires_at, invites.created_at,
             case when users.id is null then null else json_build_object('id', users.id, 'name', users.name, 'email', users.email) end
      from invites
      left join users on users.id = invites.invited_by
      where invites.organisation_id = $1 and invites.status = 'PENDING' and invites.expires_at > now()
      order by invites.created_at, invites.id
      limit $2 + 1;
  end if;
  perform set_config('role', outer_role, true), set_config('app.organisation_id', outer_organisation, true);
end
$read$;
--> statement-breakpoint
revoke all on function pending_invites_page(uuid, integer, timestamptz, uuid) from public;
--> statement-breakpoint
create or replace function user_sessions(p_user_id uuid)
returns table (id uuid, organisation_id uuid, organisation_name text, created_at timestamptz, last_used_at timestamptz, user_agent text, ip text, method text)
language plpgsql
set plan_cache_mode = force_generic_plan
as $read$
#variable_conflict use_column
declare
  outer_system text := coalesce(current_setting('app.system', true), '');
begin
  perform set_config('app.system', 'on', true);
  return query
    select sessions.id, sessions.organisation_id, organisations.name, sessions.created_at, sessions.last_used_at, sessions.user_agent,
           sessions.ip, sessions.method
    from sessions
    left join organisations on organisations.id = sessions.organisation_id
    where sessions.user_id = $1 and sessions.revoked_at is null
      and exists (select 1 from refresh_tokens where refresh_tokens.session_id = sessions.id
                  and refresh_tokens.used_at is null and refresh_tokens.expires_at > now())
    order by sessions.last_used_at desc;
  perform set_config('app.system', outer_system, true);
end
$read$;
--> statement-breakpoint
revoke all on function user_sessions(uuid) from public;