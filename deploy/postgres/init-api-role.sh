#!/bin/bash
# Runs once, when the PostgreSQL volume is first initialised (the postgres image runs every
# script in /docker-entrypoint-initdb.d). The admin account is used here and nowhere else: the
# API gets a role of its own that owns its database and is no superuser, so row-level security
# binds it (a superuser bypasses every policy).
set -euo pipefail
: "${API_DB_PASSWORD:?set API_DB_PASSWORD}"

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v api_user="${API_DB_USER:-saas_api}" -v api_password="$API_DB_PASSWORD" -v api_db="${API_DB_NAME:-saas}" <<'SQL'
CREATE ROLE :"api_user" LOGIN PASSWORD :'api_password' NOSUPERUSER NOCREATEDB NOCREATEROLE;
CREATE DATABASE :"api_db" OWNER :"api_user";
-- Tenant transactions switch to app_tenant (drizzle/0001_row_level_security.sql). Made here,
-- so that the API's own role needs no CREATEROLE.
CREATE ROLE app_tenant NOLOGIN;
GRANT app_tenant TO :"api_user";
SQL
