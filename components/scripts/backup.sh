#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2153  # inputs arrive in the environment
# Backs up the app database and Coolify (its .env, which holds APP_KEY, and its own database) to an
# S3-compatible bucket: each file dumped, encrypted with age on this host, uploaded, verified; then a
# MANIFEST of checksums, written last, marks the set complete. Keeps the newest backup of each of
# the last BACKUP_KEEP_DAILY days, then of BACKUP_KEEP_WEEKLY more weeks and BACKUP_KEEP_MONTHLY more
# months (a set kept by one rule does not count for the next), and deletes the rest.
#
# Usage: backup.sh run | prune | list
# Environment (systemd reads it from /etc/hetzner-coolify/backup.env; the bucket's keys come as credentials):
#   BACKUP_S3_ENDPOINT, BACKUP_S3_BUCKET, BACKUP_S3_REGION, BACKUP_S3_PROVIDER,
#   BACKUP_S3_ACCESS_KEY_ID, BACKUP_S3_SECRET_ACCESS_KEY, BACKUP_PREFIX
#   BACKUP_AGE_RECIPIENT                 age public key; the private key never comes near this host
#   BACKUP_KEEP_DAILY/WEEKLY/MONTHLY     retention (7/4/3)
#   BACKUP_PING_URL                      optional; pinged on success, <url>/fail on failure
#   BACKUP_PG_DUMP                       container (default): pg_dump inside the database container;
#                                        local: the pg_dump on PATH with PGHOST/PGPORT/PGPASSWORD (tests)
#   POSTGRES_CONTAINER, POSTGRES_USER, POSTGRES_DB     the app database (no POSTGRES_DB skips it)
#   COOLIFY_SOURCE_DIR                   default /data/coolify/source
#   COOLIFY_DB_CONTAINER, COOLIFY_DB_USER, COOLIFY_DB_NAME   Coolify's database ('' skips it)
set -euo pipefail
SCRIPT_NAME=backup
# shellcheck source=lib.sh
[[ $(type -t install_file) == function ]] || source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BACKUP_PG_DUMP=${BACKUP_PG_DUMP:-container}
COOLIFY_SOURCE_DIR=${COOLIFY_SOURCE_DIR:-/data/coolify/source}
COOLIFY_DB_CONTAINER=${COOLIFY_DB_CONTAINER-coolify-db}
COOLIFY_DB_USER=${COOLIFY_DB_USER:-coolify}
COOLIFY_DB_NAME=${COOLIFY_DB_NAME:-coolify}
POSTGRES_CONTAINER=${POSTGRES_CONTAINER-app-postgres}
# Sets that never got their MANIFEST (an interrupted run) are deleted once this old.
STALE_INCOMPLETE_DAYS=2

# Under systemd the bucket's keys arrive as credential files (LoadCredential=), elsewhere as environment.
load_credentials() {
  [[ -n "${CREDENTIALS_DIRECTORY:-}" ]] || return 0
  BACKUP_S3_ACCESS_KEY_ID=$(<"$CREDENTIALS_DIRECTORY/s3-access-key-id")
  BACKUP_S3_SECRET_ACCESS_KEY=$(<"$CREDENTIALS_DIRECTORY/s3-secret-access-key")
}

configure_rclone() {
  load_credentials
  require_env BACKUP_S3_ENDPOINT BACKUP_S3_BUCKET BACKUP_S3_ACCESS_KEY_ID BACKUP_S3_SECRET_ACCESS_KEY BACKUP_PREFIX
  # The remote is defined by these variables alone; no rclone.conf is read or needed.
  export RCLONE_CONFIG=/dev/null
  export RCLONE_CONFIG_BACKUP_TYPE=s3
  export RCLONE_CONFIG_BACKUP_PROVIDER="${BACKUP_S3_PROVIDER:-Other}"
  export RCLONE_CONFIG_BACKUP_ENDPOINT="$BACKUP_S3_ENDPOINT"
  export RCLONE_CONFIG_BACKUP_REGION="${BACKUP_S3_REGION:-auto}"
  export RCLONE_CONFIG_BACKUP_ACCESS_KEY_ID="$BACKUP_S3_ACCESS_KEY_ID"
  export RCLONE_CONFIG_BACKUP_SECRET_ACCESS_KEY="$BACKUP_S3_SECRET_ACCESS_KEY"
  export RCLONE_CONFIG_BACKUP_ENV_AUTH=false
  # A token scoped to one bucket may not list or create buckets.
  export RCLONE_CONFIG_BACKUP_NO_CHECK_BUCKET=true
  REMOTE="backup:$BACKUP_S3_BUCKET/$BACKUP_PREFIX"
}

ping_monitor() {
  [[ -n "${BACKUP_PING_URL:-}" ]] || return 0
  curl -fsS -m 10 --retry 3 -o /dev/null "$BACKUP_PING_URL$1" || log "could not ping $BACKUP_PING_URL$1"
}

dump_database() {
  local container=$1 user=$2 database=$3 output=$4
  if [[ "$BACKUP_PG_DUMP" == local ]]; then
    pg_dump --format=custom --username="$user" "$database" >"$output"
    pg_restore --list "$output" >/dev/null
  else
    docker exec "$container" pg_dump --format=custom --username="$user" "$database" >"$output"
    docker exec -i "$container" pg_restore --list <"$output" >/dev/null
  fi
}

complete_sets() {
  rclone lsf --recursive --files-only --include '*/MANIFEST' "$REMOTE/" | sed 's:/MANIFEST$::' | sort -r
}

all_sets() {
  rclone lsf --dirs-only "$REMOTE/" | sed 's:/$::' | sort -r
}

# period SET RULE: the day, ISO week or month a set (named by its UTC time) belongs to.
period() {
  case "$2" in
    daily) printf '%s\n' "${1:0:10}" ;;
    weekly) date -u -d "${1:0:10}" +%G-W%V ;;
    monthly) printf '%s\n' "${1:0:7}" ;;
  esac
}

prune() {
  local -A kept=()
  local sets rule limit set last count this
  mapfile -t sets < <(complete_sets)
  for rule in daily weekly monthly; do
    case "$rule" in
      daily) limit=${BACKUP_KEEP_DAILY:-7} ;;
      weekly) limit=${BACKUP_KEEP_WEEKLY:-4} ;;
      monthly) limit=${BACKUP_KEEP_MONTHLY:-3} ;;
    esac
    last="" count=0
    for set in "${sets[@]}"; do
      ((count < limit)) || break
      this=$(period "$set" "$rule")
      [[ "$this" != "$last" ]] || continue
      last=$this
      if [[ -z "${kept[$set]:-}" ]]; then
        kept[$set]=$rule
        count=$((count + 1))
      fi
    done
  done
  local doomed=() stale_before complete
  for set in "${sets[@]}"; do
    [[ -n "${kept[$set]:-}" ]] || doomed+=("$set")
  done
  stale_before=$(date -u -d "-$STALE_INCOMPLETE_DAYS days" +%Y-%m-%dT%H%M%SZ)
  complete=" ${sets[*]} "
  while read -r set; do
    if [[ -n "$set" && "$complete" != *" $set "* && "$set" < "$stale_before" ]]; then
      doomed+=("$set")
    fi
  done < <(all_sets)
  if ((${#doomed[@]})); then
    # One deletion for all of them: a set is a folder of a few objects.
    rclone delete "$REMOTE" --include-from <(printf '/%s/**\n' "${doomed[@]}")
    log "deleted ${#doomed[@]} sets: ${doomed[*]}"
  fi
  log "kept ${#kept[@]} sets: $(for set in "${!kept[@]}"; do printf '%s=%s\n' "$set" "${kept[$set]}"; done | sort | tr '\n' ' ')"
}

run_backup() {
  local work=$1 stamp set file
  require_env BACKUP_AGE_RECIPIENT
  stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
  set="$work/$stamp"
  mkdir -p "$set" "$work/plain"
  if [[ -n "${POSTGRES_DB:-}" ]]; then
    dump_database "$POSTGRES_CONTAINER" "$POSTGRES_USER" "$POSTGRES_DB" "$work/plain/app.dump"
  fi
  if [[ -f "$COOLIFY_SOURCE_DIR/.env" ]]; then
    cp "$COOLIFY_SOURCE_DIR/.env" "$work/plain/coolify.env"
  fi
  if [[ -n "$COOLIFY_DB_CONTAINER" ]]; then
    dump_database "$COOLIFY_DB_CONTAINER" "$COOLIFY_DB_USER" "$COOLIFY_DB_NAME" "$work/plain/coolify-db.dump"
  fi
  [[ -n "$(ls -A "$work/plain")" ]] || fail "nothing to back up"
  for file in "$work/plain"/*; do
    age --encrypt --recipient "$BACKUP_AGE_RECIPIENT" --output "$set/$(basename "$file").age" "$file"
    rm -f "$file"
  done
  (cd "$set" && sha256sum -- *.age >"$work/MANIFEST")
  rclone copy "$set" "$REMOTE/$stamp"
  # Sizes and checksums of what arrived, against what left; a short or damaged upload stops here,
  # before the MANIFEST that would make the set look complete.
  rclone check --one-way "$set" "$REMOTE/$stamp" || fail "the uploaded set $stamp does not match what was sent"
  rclone copyto "$work/MANIFEST" "$REMOTE/$stamp/MANIFEST"
  log "backed up $stamp ($(wc -l <"$work/MANIFEST") files)"
}

main() {
  local command=${1:-run}
  configure_rclone
  case "$command" in
    run)
      WORK=$(mktemp -d)
      trap 'status=$?; rm -rf "$WORK"; ((status == 0)) || ping_monitor /fail' EXIT
      run_backup "$WORK"
      prune
      ping_monitor ""
      ;;
    prune) prune ;;
    list) complete_sets ;;
    *) fail "usage: backup.sh run | prune | list" ;;
  esac
}

# restore-backup.sh reuses the functions above without running anything.
[[ -n "${BACKUP_SH_LIBRARY_ONLY:-}" ]] || main "$@"
