#!/usr/bin/env bash
# The official postgres image's entrypoint contract, as the stack uses it: for the command `postgres`,
# initialise an empty PGDATA with POSTGRES_USER as superuser (password POSTGRES_PASSWORD) and POSTGRES_DB,
# then run the server as the postgres user, listening on every interface of the container; any other
# command runs as it is, touching nothing (docker-library/postgres@6edb0a8c4d:17/bookworm/
# docker-entrypoint.sh:326-377).
set -euo pipefail

POSTGRES_USER=${POSTGRES_USER:-postgres}
POSTGRES_DB=${POSTGRES_DB:-$POSTGRES_USER}
PGDATA=${PGDATA:-/var/lib/postgresql/data}
export PGDATA

as_postgres() {
  runuser -u postgres -- "$@"
}

if [[ "${1:-}" != postgres ]]; then
  exec "$@"
fi
: "${POSTGRES_PASSWORD:?the official image refuses to start without POSTGRES_PASSWORD}"

mkdir -p "$PGDATA" /run/postgresql
chown postgres:postgres "$PGDATA" /run/postgresql
chmod 0700 "$PGDATA"

if [[ ! -s "$PGDATA/PG_VERSION" ]]; then
  password_file=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" >"$password_file"
  chown postgres "$password_file"
  as_postgres initdb --username="$POSTGRES_USER" --pwfile="$password_file" --auth-local=trust \
    --auth-host=scram-sha-256 --encoding=UTF8 >/dev/null
  rm -f "$password_file"
  printf 'host all all all scram-sha-256\n' >>"$PGDATA/pg_hba.conf"
  if [[ "$POSTGRES_DB" != postgres ]]; then
    as_postgres pg_ctl --silent --wait --options="-c listen_addresses=''" start
    as_postgres createdb --username="$POSTGRES_USER" "$POSTGRES_DB"
    as_postgres pg_ctl --silent --wait --mode=fast stop
  fi
fi

exec runuser -u postgres -- "$@" -c listen_addresses='*'
