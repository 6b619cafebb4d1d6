#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2153  # inputs arrive in the environment
# In the app's Postgres container: apps log in as a role that owns the app's database and nothing more, and
# the superuser stays internal. The official image makes POSTGRES_USER the bootstrap superuser
# (docker-library/postgres@6edb0a8c4d:17/bookworm/docker-entrypoint.sh:92), and a superuser's SQL reaches a
# shell in the container (COPY ... TO PROGRAM: https://www.postgresql.org/docs/17/sql-copy.html). So:
# - the superuser, SUPERUSER, exists and has no password: it logs in only over the container's local socket,
#   which the image's initdb trusts (initdb's default local method; the entrypoint passes none:
#   docker-entrypoint.sh:92, https://www.postgresql.org/docs/17/app-initdb.html), i.e. as root on the server;
# - APP_USER exists, may log in with APP_PASSWORD, is no superuser and cannot create roles or databases;
# - APP_USER owns DATABASE;
# - from the first rotation (stack_config/rotation.py), ALTERNATE_USER too may log in, with its own password, and
#   acts as APP_USER: a member of it whose sessions start as it (a per-role default of `role`,
#   https://www.postgresql.org/docs/17/sql-alterrole.html; SET ROLE needs the membership's SET option from
#   PostgreSQL 16 on, https://www.postgresql.org/docs/17/sql-grant.html), so what it creates belongs to APP_USER
#   and migrations run the same under either login. Rotations alternate between the two logins: the one apps
#   hold keeps working while the other gets the new password.
# A database initialised before this step has APP_USER as its only superuser: it creates SUPERUSER first, then
# demotes APP_USER. Converges: it changes only what differs and says what it changed.
#
# Inputs (environment):
#   CONTAINER                      the Postgres container
#   SUPERUSER, APP_USER, DATABASE  role and database names (plain SQL names)
#   POSTGRES_APP_PASSWORD          the app role's password (secret; sent as SSH environment, never on argv)
#   ALTERNATE_USER                 optional: the second login acting as APP_USER (a plain SQL name)
#   POSTGRES_ALTERNATE_PASSWORD    its password (secret), required with ALTERNATE_USER
set -euo pipefail
SCRIPT_NAME=postgres-roles
# shellcheck source=lib.sh
[[ $(type -t install_file) == function ]] || source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_env CONTAINER SUPERUSER APP_USER DATABASE POSTGRES_APP_PASSWORD
ALTERNATE_USER=${ALTERNATE_USER:-}
names=(SUPERUSER APP_USER DATABASE)
passwords=(POSTGRES_APP_PASSWORD)
if [[ -n "$ALTERNATE_USER" ]]; then
  require_env POSTGRES_ALTERNATE_PASSWORD
  names+=(ALTERNATE_USER)
  passwords+=(POSTGRES_ALTERNATE_PASSWORD)
  [[ "$ALTERNATE_USER" != "$APP_USER" && "$ALTERNATE_USER" != "$SUPERUSER" ]] ||
    fail "ALTERNATE_USER must be neither APP_USER nor the superuser"
fi
for name in "${names[@]}"; do
  [[ "${!name}" =~ ^[a-z][a-z0-9_]{0,62}$ ]] || fail "$name is not a plain SQL name"
done
[[ "$SUPERUSER" != "$APP_USER" ]] || fail "APP_USER must not be the superuser, $SUPERUSER"
# Generated letters and digits: safe inside a quoted SQL literal.
for name in "${passwords[@]}"; do
  [[ "${!name}" =~ ^[A-Za-z0-9]{16,}$ ]] || fail "$name is not a generated password"
done
changes=()

# query ROLE SQL: one value, over the local socket. The SQL goes on stdin (a here-string: this script is itself
# read from stdin), never on a command line.
query() {
  docker exec -i "$CONTAINER" psql --no-psqlrc --quiet --no-align --tuples-only -v ON_ERROR_STOP=1 \
    --username="$1" --dbname=postgres <<<"$2"
}

role_exists() {
  [[ "$(query "$1" "select count(*) from pg_roles where rolname = '$2'")" == 1 ]]
}

if role_exists "$SUPERUSER" "$SUPERUSER" 2>/dev/null; then
  :
elif role_exists "$APP_USER" "$SUPERUSER"; then
  fail "role $SUPERUSER exists but cannot log in over the local socket; fix it by hand"
else
  query "$APP_USER" "create role $SUPERUSER superuser login" >/dev/null
  changes+=("created the superuser $SUPERUSER")
fi

# login_without_powers ROLE: ROLE exists, may log in, and is no superuser and cannot create roles or databases.
login_without_powers() {
  if ! role_exists "$SUPERUSER" "$1"; then
    query "$SUPERUSER" "create role $1 login" >/dev/null
    changes+=("created $1")
  fi
  local powers
  powers=$(query "$SUPERUSER" "select rolsuper or rolcreaterole or rolcreatedb or rolreplication or rolbypassrls
    or not rolcanlogin from pg_roles where rolname = '$1'")
  if [[ "$powers" != f ]]; then
    query "$SUPERUSER" "alter role $1 with login nosuperuser nocreaterole nocreatedb noreplication nobypassrls" \
      >/dev/null
    changes+=("took superuser and role/database creation from $1")
  fi
}

# A password that already works is not set again: its salt, and so the role, would change on every run. Tried
# as apps log in: over the container's network address, which initdb's trust lines for the local socket and
# 127.0.0.1 do not cover, so the image's `host all all all` line asks for the password
# (https://www.postgresql.org/docs/17/app-initdb.html: --auth defaults to trust; docker-entrypoint.sh:263-281).
# `-e PGPASSWORD` without a value: docker takes it from this environment, not from its command line.
address=$(docker inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}' "$CONTAINER")
address=${address%% *}
[[ -n "$address" ]] || fail "$CONTAINER has no network address"
# password_works ROLE PASSWORD: as an app would log in.
password_works() {
  PGPASSWORD=$2 docker exec -e PGPASSWORD "$CONTAINER" psql --no-psqlrc --quiet --host="$address" \
    --username="$1" --dbname="$DATABASE" --command='select 1' >/dev/null 2>&1
}
# with_password ROLE PASSWORD
with_password() {
  if ! password_works "$1" "$2"; then
    query "$SUPERUSER" "alter role $1 with password '$2'" >/dev/null
    changes+=("set the password of $1")
  fi
}

login_without_powers "$APP_USER"
with_password "$APP_USER" "$POSTGRES_APP_PASSWORD"

if [[ -n "$ALTERNATE_USER" ]]; then
  login_without_powers "$ALTERNATE_USER"
  # SET exists as a membership option, and as a pg_has_role privilege, from PostgreSQL 16 on; before, any member
  # may SET ROLE (https://www.postgresql.org/docs/16/release-16.html, "Allow GRANT to control role inheritance
  # and SET ROLE"; https://www.postgresql.org/docs/17/functions-info.html: pg_has_role).
  if (($(query "$SUPERUSER" "show server_version_num") >= 160000)); then
    acts_as="pg_has_role('$ALTERNATE_USER', '$APP_USER', 'USAGE') and pg_has_role('$ALTERNATE_USER', '$APP_USER', 'SET')"
    grant="grant $APP_USER to $ALTERNATE_USER with inherit true, set true"
  else
    acts_as="pg_has_role('$ALTERNATE_USER', '$APP_USER', 'USAGE')"
    grant="grant $APP_USER to $ALTERNATE_USER"
  fi
  if [[ "$(query "$SUPERUSER" "select $acts_as")" != t ]]; then
    query "$SUPERUSER" "$grant" >/dev/null
    changes+=("made $ALTERNATE_USER a member of $APP_USER")
  fi
  starts_as=$(query "$SUPERUSER" "select coalesce('role=$APP_USER' = any(rolconfig), false) from pg_roles
    where rolname = '$ALTERNATE_USER'")
  if [[ "$starts_as" != t ]]; then
    query "$SUPERUSER" "alter role $ALTERNATE_USER set role = $APP_USER" >/dev/null
    changes+=("made the sessions of $ALTERNATE_USER act as $APP_USER")
  fi
  with_password "$ALTERNATE_USER" "$POSTGRES_ALTERNATE_PASSWORD"
fi
owner=$(query "$SUPERUSER" "select pg_get_userbyid(datdba) from pg_database where datname = '$DATABASE'")
if [[ "$owner" != "$APP_USER" ]]; then
  query "$SUPERUSER" "alter database $DATABASE owner to $APP_USER" >/dev/null
  changes+=("gave $DATABASE to $APP_USER")
fi
if [[ "$(query "$SUPERUSER" "select rolpassword is not null from pg_authid where rolname = '$SUPERUSER'")" == t ]]; then
  query "$SUPERUSER" "alter role $SUPERUSER with password null" >/dev/null
  changes+=("removed the password of $SUPERUSER (local socket only)")
fi

if ((${#changes[@]})); then
  for change in "${changes[@]}"; do log "$change"; done
else
  log "roles as they should be (nothing changed)"
fi
