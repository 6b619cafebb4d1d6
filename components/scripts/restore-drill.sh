#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2153  # inputs arrive in the environment
# The restore drill: the newest (or a named) backup set of a stack, verified as restore-backup.sh verifies it
# (signature, then checksums), decrypted here, restored into a scratch database next to the app database of a
# server (the staging server), and each table's row count compared with what the backup job counted at dump
# time, in the dump's own snapshot (backup.sh: app.row-counts.tsv). Prints a line per table and one verdict;
# exits 0 on PASS only. The scratch database is always dropped and the decrypted files always deleted, whatever
# happens. Runs where the age identity is (an operator's machine, never the server).
#
# Usage: restore-drill.sh [SET|latest]
#        restore-drill.sh --stack STACK [--source STACK] [--allow-production-target] [SET|latest]
#            (what `make restore-drill` runs): the settings from `pulumi stack output --json --show-secrets`,
#            the backups of --source (default STACK) restored on STACK's server, reached over SSH as its admin
#            user (sshCommand) and pinned to its host key (serverHostKey). A server of any stack but a staging one
#            is refused as the target unless --allow-production-target: a drill loads a whole database onto it.
# Environment: as restore-backup.sh (BACKUP_S3_*, BACKUP_PREFIX, BACKUP_SIGNING_KEY, AGE_IDENTITY_FILE), and
#   DRILL_SSH_TARGET       user@address of the server (with --stack: from sshCommand); the user needs sudo
#   DRILL_SSH_HOST_KEY     the server's host key, "ssh-ed25519 <base64>" (with --stack: serverHostKey)
#   DRILL_SSH_PORT         default 22
#   DRILL_SSH_IDENTITY     optional private key file for SSH (default: ssh's own: agent, ~/.ssh)
#   DRILL_CONTAINER        the database container on the server, default app-postgres
#   DRILL_DATABASE_COMMAND instead of all of the above: the command prefix that runs a PostgreSQL client program
#                          as a superuser next to the database (tests run it against a local PostgreSQL)
set -euo pipefail
# shellcheck source=lib.sh
[[ $(type -t install_file) == function ]] || source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=restore-backup.sh
RESTORE_BACKUP_SH_LIBRARY_ONLY=yes source "$(dirname "${BASH_SOURCE[0]}")/restore-backup.sh"
SCRIPT_NAME=restore-drill
DRILL_USAGE="usage: restore-drill.sh [--stack STACK [--source STACK] [--allow-production-target]] [SET|latest]"
# The server's key under one name, whatever its address or port (as components/service_containers.py files it).
HOST_KEY_ALIAS=hetzner-coolify-server
# The image's bootstrap superuser, which logs in over the container's local socket only (postgres-roles.sh;
# stack_config/data_services.py: POSTGRES_SUPERUSER): the scratch database is its, never the app's.
SUPERUSER=postgres
DRILL_CONTAINER=${DRILL_CONTAINER:-app-postgres}
SCRATCH=""
VERDICT=""

# A failure anywhere (a command substitution's subshell too) leaves its reason for the verdict.
fail() {
  log "error: $*"
  if [[ -n "${WORK:-}" && -d "$WORK" ]]; then printf '%s\n' "$*" >"$WORK/failure"; fi
  exit 1
}

# stack_output FILE NAME: one output of `pulumi stack output --json` (a string; empty when absent).
stack_output() {
  python3 -c 'import json, sys
value = json.load(open(sys.argv[1])).get(sys.argv[2], "")
print(value if isinstance(value, str) else json.dumps(value))' "$1" "$2"
}

# stack_outputs STACK NAME...: those outputs of STACK as JSON and nothing else of it: its other secrets (the deploy
# key, Coolify's admin password) never reach a file.
stack_outputs() {
  local stack=$1
  shift
  pulumi stack output --json --show-secrets --stack "$stack" |
    python3 -c 'import json, sys
outputs = json.load(sys.stdin)
print(json.dumps({name: outputs[name] for name in sys.argv[1:] if name in outputs}))' "$@" ||
    fail "cannot read the outputs of stack $stack (pulumi stack output)"
}

# from_stacks TARGET SOURCE ALLOW_PRODUCTION: the environment above from the two stacks' outputs.
from_stacks() {
  local target=$1 source=$2 allow_production=$3 outputs="$WORK/outputs" ssh_command environment
  mkdir -p "$outputs"
  stack_outputs "$target" environment sshCommand serverHostKey >"$outputs/target.json"
  stack_outputs "$source" backupEndpoint backupBucket backupPrefix backupAccessKeyId backupSecretAccessKey \
    backupSigningKey >"$outputs/source.json"
  # Anything but a stack that says it is staging counts as production (stack_config/stacks.py: Environment).
  environment=$(stack_output "$outputs/target.json" environment)
  if [[ "$environment" != staging && "$allow_production" != yes ]]; then
    fail "stack $target is a ${environment:-unknown} stack, not staging: a drill restores a whole database onto the" \
      "server it runs on; run it on staging (STACK=staging SOURCE=$target), or force it with --allow-production-target"
  fi
  ssh_command=$(stack_output "$outputs/target.json" sshCommand)
  [[ "$ssh_command" =~ ^ssh\ ([a-z_][a-z0-9_-]*@[0-9a-fA-F.:]+)$ ]] ||
    fail "stack $target has no sshCommand output of the form 'ssh user@address' (got '$ssh_command')"
  DRILL_SSH_TARGET=${BASH_REMATCH[1]}
  DRILL_SSH_HOST_KEY=$(stack_output "$outputs/target.json" serverHostKey)
  BACKUP_S3_ENDPOINT=$(stack_output "$outputs/source.json" backupEndpoint)
  BACKUP_S3_BUCKET=$(stack_output "$outputs/source.json" backupBucket)
  BACKUP_PREFIX=$(stack_output "$outputs/source.json" backupPrefix)
  BACKUP_S3_ACCESS_KEY_ID=$(stack_output "$outputs/source.json" backupAccessKeyId)
  BACKUP_S3_SECRET_ACCESS_KEY=$(stack_output "$outputs/source.json" backupSecretAccessKey)
  BACKUP_SIGNING_KEY=$(stack_output "$outputs/source.json" backupSigningKey)
  [[ -n "$BACKUP_PREFIX" ]] || fail "stack $source has no backups (no backupPrefix output)"
  # R2 (the r2 storage) or any other S3 storage: the endpoint says which (components/backups.py: r2_endpoint).
  if [[ "$BACKUP_S3_ENDPOINT" == *.r2.cloudflarestorage.com ]]; then BACKUP_S3_PROVIDER=Cloudflare; fi
  rm -rf "$outputs"
  DRILL_SERVER="stack $target's server $DRILL_SSH_TARGET"
}

# The command prefix that runs a PostgreSQL client as the superuser next to the app database: over SSH, pinned
# to the server's host key and no other, sudo without a prompt (harden-host.sh gives the admin user
# NOPASSWD sudo), `docker exec -i` into the container, whose local socket the image trusts (postgres-roles.sh).
# Nothing secret is on any command line: the SQL and the dump go on stdin.
database_command() {
  local options
  if [[ -n "${DRILL_DATABASE_COMMAND:-}" ]]; then
    read -r -a DATABASE_COMMAND <<<"$DRILL_DATABASE_COMMAND"
    DRILL_SERVER=${DRILL_SERVER:-"the database of DRILL_DATABASE_COMMAND"}
    return 0
  fi
  require_env DRILL_SSH_TARGET DRILL_SSH_HOST_KEY
  [[ "$DRILL_SSH_HOST_KEY" =~ ^ssh-[a-z0-9-]+\ [A-Za-z0-9+/=]+$ ]] ||
    fail "DRILL_SSH_HOST_KEY must be the server's host key, 'ssh-ed25519 <base64>' (the serverHostKey output)"
  [[ "$DRILL_CONTAINER" =~ ^[A-Za-z0-9][A-Za-z0-9_.-]*$ ]] || fail "DRILL_CONTAINER must be a container name"
  printf '%s %s\n' "$HOST_KEY_ALIAS" "$DRILL_SSH_HOST_KEY" >"$WORK/known_hosts"
  options=(-p "${DRILL_SSH_PORT:-22}" -o BatchMode=yes -o StrictHostKeyChecking=yes -o "HostKeyAlias=$HOST_KEY_ALIAS"
    -o "UserKnownHostsFile=$WORK/known_hosts" -o GlobalKnownHostsFile=/dev/null -o LogLevel=ERROR)
  if [[ -n "${DRILL_SSH_IDENTITY:-}" ]]; then options+=(-o IdentitiesOnly=yes -i "$DRILL_SSH_IDENTITY"); fi
  DATABASE_COMMAND=(ssh "${options[@]}" "$DRILL_SSH_TARGET" sudo -n docker exec -i --env "PGUSER=$SUPERUSER"
    "$DRILL_CONTAINER")
  DRILL_SERVER=${DRILL_SERVER:-"$DRILL_SSH_TARGET"}
}

# server_sql DATABASE < SQL: psql as the superuser on the server, the SQL on stdin.
server_sql() {
  "${DATABASE_COMMAND[@]}" psql --no-psqlrc --quiet --no-align --tuples-only -v ON_ERROR_STOP=1 --dbname="$1"
}

# Always: the scratch database dropped (connections closed first: WITH FORCE, PostgreSQL 13 and later,
# https://www.postgresql.org/docs/17/sql-dropdatabase.html) and checked gone, the decrypted files deleted, and a
# verdict, FAIL with the reason when nothing else gave one.
clean_up() {
  local status=$? left reason
  if [[ -n "$SCRATCH" ]]; then
    left=$(server_sql postgres <<<"drop database if exists $SCRATCH with (force);
      select count(*) from pg_database where datname = '$SCRATCH';") || left="unknown"
    if [[ "$left" == 0 ]]; then
      log "dropped the scratch database $SCRATCH"
    else
      # A drill that leaves a copy of the data behind fails, whatever the counts said.
      VERDICT="restore drill FAIL: could not drop the scratch database $SCRATCH on $DRILL_SERVER ($left): drop it by hand"
      printf '%s\n' "$VERDICT"
      status=1
    fi
  fi
  if [[ -z "$VERDICT" ]]; then
    reason=$(cat "$WORK/failure" 2>/dev/null) || reason="stopped (exit status $status)"
    printf 'restore drill FAIL: %s\n' "$reason"
    ((status != 0)) || status=1
  fi
  rm -rf "$WORK"
  exit "$status"
}

# check_counts_file FILE: the recorded counts of a set, checked line by line before anything is restored.
check_counts_file() {
  grep -qvE $'^[^\t]+\t[0-9]+$' "$1" && fail "the recorded row counts of backup $SET are not 'table<TAB>rows' lines"
  return 0
}

# compare RECORDED RESTORED: a line per table, then the verdict; PASS when every table has its recorded count.
compare() {
  local line table recorded restored tables=0 rows=0 differing=0 state
  local -A recorded_rows=() restored_rows=()
  while IFS=$'\t' read -r table recorded; do recorded_rows[$table]=$recorded; done <"$1"
  while IFS=$'\t' read -r table restored; do restored_rows[$table]=$restored; done <"$2"
  printf '%-40s %12s %12s  %s\n' table recorded restored state
  while IFS=$'\t' read -r table recorded; do
    tables=$((tables + 1))
    rows=$((rows + recorded))
    restored=${restored_rows[$table]:-missing}
    if [[ "$restored" == "$recorded" ]]; then state=ok; else state=DIFFERS; differing=$((differing + 1)); fi
    printf '%-40s %12s %12s  %s\n' "$table" "$recorded" "$restored" "$state"
  done <"$1"
  # Tables the restore has that the backup did not count.
  while IFS=$'\t' read -r table restored; do
    [[ -z "${recorded_rows[$table]+counted}" ]] || continue
    differing=$((differing + 1))
    printf '%-40s %12s %12s  %s\n' "$table" absent "$restored" DIFFERS
  done <"$2"
  line="$BACKUP_PREFIX/$SET restored into a scratch database on $DRILL_SERVER"
  if ((differing == 0)); then
    VERDICT="restore drill PASS: $line: $tables tables, $rows rows, every count as recorded at dump time"
  else
    VERDICT="restore drill FAIL: $line: $differing of $tables tables differ from the counts recorded at dump time"
  fi
  printf '%s\n' "$VERDICT"
  ((differing == 0))
}

drill() {
  local wanted=latest target="" source="" allow_production=no
  WORK=$(mktemp -d)
  trap clean_up EXIT
  while (($#)); do
    case "$1" in
      --stack) (($# >= 2)) || fail "$DRILL_USAGE"; target=$2; shift 2 ;;
      --source) (($# >= 2)) || fail "$DRILL_USAGE"; source=$2; shift 2 ;;
      --allow-production-target) allow_production=yes; shift ;;
      -*) fail "$DRILL_USAGE" ;;
      *) (($# == 1)) || fail "$DRILL_USAGE"; wanted=$1; shift ;;
    esac
  done
  if [[ -n "$target" ]]; then
    [[ "$target" =~ ^[A-Za-z0-9][A-Za-z0-9._/-]*$ ]] || fail "--stack must be a stack name, not '$target'"
    source=${source:-$target}
    [[ "$source" =~ ^[A-Za-z0-9][A-Za-z0-9._/-]*$ ]] || fail "--source must be a stack name, not '$source'"
    from_stacks "$target" "$source" "$allow_production"
  elif [[ -n "$source" || "$allow_production" == yes ]]; then
    fail "--source and --allow-production-target go with --stack"
  fi
  configure_rclone
  require_env AGE_IDENTITY_FILE
  trust_signers
  database_command
  SET=$(resolve_set "$wanted")
  log "drilling backup $BACKUP_PREFIX/$SET on $DRILL_SERVER"
  fetch "$SET" "$WORK/plain"
  [[ -f "$WORK/plain/app.dump" ]] || fail "backup $SET holds no app database"
  # Sets made before the backup job counted rows: a restore that merely succeeds proves too little to pass.
  [[ -f "$WORK/plain/app.row-counts.tsv" ]] ||
    fail "backup $SET has no recorded row counts (made before backup.sh recorded them): nothing to compare a" \
      "restore with; drill a newer set, or restore this one by hand (restore-backup.sh) and check it yourself"
  check_counts_file "$WORK/plain/app.row-counts.tsv"
  SCRATCH="restore_drill_$(date -u +%Y%m%d%H%M%S)_$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
  server_sql postgres <<<"create database $SCRATCH;" >/dev/null || fail "could not create the scratch database on $DRILL_SERVER"
  log "restoring into the scratch database $SCRATCH"
  # One transaction, stopping at the first error: a restore that fails is a FAIL, never a partial count
  # (https://www.postgresql.org/docs/17/app-pgrestore.html, --single-transaction). The dump streams on stdin.
  "${DATABASE_COMMAND[@]}" pg_restore --single-transaction --exit-on-error --no-owner --no-privileges \
    --dbname="$SCRATCH" <"$WORK/plain/app.dump" || fail "restoring backup $SET into a scratch database failed"
  server_sql "$SCRATCH" <<<"$ROW_COUNTS_SQL" >"$WORK/restored-counts.tsv" ||
    fail "counting the rows of the restored backup $SET failed"
  compare "$WORK/plain/app.row-counts.tsv" "$WORK/restored-counts.tsv"
}

drill "$@"
