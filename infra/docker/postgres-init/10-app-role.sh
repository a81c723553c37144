#!/bin/sh
# Run once by the postgres image, on the first start with an empty data volume, as the
# superuser POSTGRES_USER (mounted at /docker-entrypoint-initdb.d by compose.yml).
#
# Creates the application's role, APP_DB_USER: it may log in and owns the database
# APP_DB_NAME (so its public schema too, which PostgreSQL 15 lets only the owner create in),
# and nothing else: no superuser, no CREATEDB, no CREATEROLE, no replication, no bypassing of
# row security. DATABASE_URL connects as this role; the superuser is for maintenance only.
# The values go to psql as variables, which it quotes (:"name" as an identifier, :'value' as
# a literal), so no value is pasted into the SQL text.
set -eu

psql --no-psqlrc --set ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    --set app_db="$APP_DB_NAME" --set app_user="$APP_DB_USER" \
    --set app_password="$APP_DB_PASSWORD" <<'SQL'
CREATE ROLE :"app_user" LOGIN PASSWORD :'app_password'
    NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
CREATE DATABASE :"app_db" OWNER :"app_user";
-- Only the owner (and the superuser) may connect to it; by default any role may.
REVOKE ALL ON DATABASE :"app_db" FROM PUBLIC;
SQL
