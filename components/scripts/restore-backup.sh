#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2153  # inputs arrive in the environment
# Lists, fetches and restores backups made by backup.sh. Runs where the age identity is (an
# operator's machine, never the server), with the bucket settings from the stack's outputs.
#
# Usage: restore-backup.sh list
#        restore-backup.sh fetch SET|latest DIRECTORY       verified and decrypted files
#        restore-backup.sh restore SET|latest DATABASE_URL  pg_restore of the app database
# Environment: BACKUP_S3_* and BACKUP_PREFIX as for backup.sh; AGE_IDENTITY_FILE, the private key.
set -euo pipefail
# shellcheck source=lib.sh
[[ $(type -t install_file) == function ]] || source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=backup.sh
BACKUP_SH_LIBRARY_ONLY=yes source "$(dirname "${BASH_SOURCE[0]}")/backup.sh"
SCRIPT_NAME=restore

resolve_set() {
  local wanted=$1 newest
  if [[ "$wanted" == latest ]]; then
    newest=$(complete_sets | head -n 1)
    [[ -n "$newest" ]] || fail "no complete backup in $REMOTE"
    printf '%s\n' "$newest"
  elif complete_sets | grep -qxF "$wanted"; then
    printf '%s\n' "$wanted"
  else
    fail "no complete backup named $wanted in $REMOTE (see: restore-backup.sh list)"
  fi
}

fetch() {
  local set directory=$2 file
  set=$(resolve_set "$1")
  require_env AGE_IDENTITY_FILE
  mkdir -p "$directory/encrypted"
  rclone copy "$REMOTE/$set" "$directory/encrypted"
  (cd "$directory/encrypted" && sha256sum --check --quiet MANIFEST) ||
    fail "backup $set does not match its MANIFEST: damaged or tampered with"
  for file in "$directory/encrypted"/*.age; do
    age --decrypt --identity "$AGE_IDENTITY_FILE" --output "$directory/$(basename "$file" .age)" "$file"
  done
  rm -rf "$directory/encrypted"
  log "fetched $set into $directory"
}

restore() {
  local database_url=$2
  [[ -n "$database_url" ]] || fail "usage: restore-backup.sh restore SET|latest DATABASE_URL"
  WORK=$(mktemp -d)
  trap 'rm -rf "$WORK"' EXIT
  fetch "$1" "$WORK"
  [[ -f "$WORK/app.dump" ]] || fail "backup $1 holds no app database"
  pg_restore --no-owner --no-privileges --clean --if-exists --exit-on-error --dbname="$database_url" "$WORK/app.dump"
  log "restored $1 into the target database"
}

configure_rclone
case "${1:-}" in
  list) complete_sets ;;
  fetch) (($# == 3)) || fail "usage: restore-backup.sh fetch SET|latest DIRECTORY"; fetch "$2" "$3" ;;
  restore) (($# == 3)) || fail "usage: restore-backup.sh restore SET|latest DATABASE_URL"; restore "$2" "$3" ;;
  *) fail "usage: restore-backup.sh list | fetch SET|latest DIRECTORY | restore SET|latest DATABASE_URL" ;;
esac
