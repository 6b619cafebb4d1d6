#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2153  # inputs arrive in the environment
# Lists, fetches and restores backups made by backup.sh. Runs where the age identity is (an
# operator's machine, never the server), with the bucket settings and signing key from the stack's outputs.
# A set counts only if its MANIFEST is signed, for its own name, by BACKUP_SIGNING_KEY: whoever holds the
# bucket's keys and the age recipient can write a set that decrypts and matches its checksums, not one that
# verifies. Only the files the signed MANIFEST names are fetched.
#
# Usage: restore-backup.sh list                               signed sets, newest first
#        restore-backup.sh fetch SET|latest DIRECTORY         verified and decrypted files (root-only modes)
#        restore-backup.sh restore [--force] SET|latest TARGET
#            pg_restore of the app database into TARGET, a libpq connection URL or string WITHOUT a password
#            (the password comes from PGPASSFILE or PGPASSWORD: a command line is visible to every user of the
#            machine). All or nothing, in one transaction; a TARGET holding anything needs --force.
# Environment: BACKUP_S3_* and BACKUP_PREFIX as for backup.sh; AGE_IDENTITY_FILE, the private key;
# BACKUP_SIGNING_KEY, the stack output backupSigningKey (one public key a line: add earlier servers' keys
# to restore their sets).
set -euo pipefail
# shellcheck source=lib.sh
[[ $(type -t install_file) == function ]] || source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=backup.sh
BACKUP_SH_LIBRARY_ONLY=yes source "$(dirname "${BASH_SOURCE[0]}")/backup.sh"
SCRIPT_NAME=restore
# What is fetched and decrypted is for the operator alone: directories 0700, files 0600.
umask 077
USAGE="usage: restore-backup.sh list | fetch SET|latest DIRECTORY | restore [--force] SET|latest TARGET"
# One line of a MANIFEST (sha256sum's output): a digest and the name of an encrypted file of the set.
MANIFEST_LINE='^[0-9a-f]{64}  [a-z0-9][a-z0-9.-]*\.age$'

signed_sets() {
  fetch_manifests "$WORK/manifests"
  verified_sets "$WORK/manifests" "$SIGNERS"
}

resolve_set() {
  local wanted=$1 sets
  if [[ "$wanted" == latest ]]; then
    signed_sets >"$WORK/signed-sets"
    mapfile -t sets <"$WORK/signed-sets"
    ((${#sets[@]})) || fail "no complete backup signed by BACKUP_SIGNING_KEY in $REMOTE"
    printf '%s\n' "${sets[0]}"
  elif is_set_name "$wanted"; then
    printf '%s\n' "$wanted"
  else
    fail "no backup named $wanted in $REMOTE (see: restore-backup.sh list)"
  fi
}

# fetch SET DIRECTORY: SET's files, signature and checksums verified, decrypted into DIRECTORY.
fetch() {
  local set=$1 directory=$2 encrypted files=() file line
  require_env AGE_IDENTITY_FILE
  encrypted="$WORK/encrypted/$set"
  mkdir -p "$encrypted"
  rclone copy "$REMOTE/$set" "$encrypted" --include /MANIFEST --include /MANIFEST.sig
  [[ -f "$encrypted/MANIFEST" ]] || fail "no complete backup named $set in $REMOTE (see: restore-backup.sh list)"
  manifest_verifies "$encrypted" "$set" "$SIGNERS" ||
    fail "backup $set is not signed by BACKUP_SIGNING_KEY: planted or tampered with, refusing it"
  # The files it names, each line checked whole.
  while IFS= read -r line; do
    [[ "$line" =~ $MANIFEST_LINE ]] || fail "the MANIFEST of $set holds a line that is not a checksum of a set file"
    files+=("${line:66}")
  done <"$encrypted/MANIFEST"
  ((${#files[@]})) || fail "the MANIFEST of $set names no file"
  # Exactly the files the signed MANIFEST names: anything else in the folder was not signed.
  rclone copy "$REMOTE/$set" "$encrypted" --files-from <(printf '%s\n' "${files[@]}")
  (cd "$encrypted" && sha256sum --check --quiet --strict MANIFEST) ||
    fail "backup $set does not match its MANIFEST: damaged or tampered with"
  mkdir -p "$directory"
  for file in "${files[@]}"; do
    age --decrypt --identity "$AGE_IDENTITY_FILE" --output "$directory/${file%.age}" "$encrypted/$file"
  done
  rm -rf "$encrypted"
  log "fetched $set into $directory"
}

# A password in the target would be on the command lines of psql and pg_restore (and of this script).
refuse_password_in() {
  if [[ "$1" =~ ^postgres(ql)?://[^@/?#]*:[^@/?#]*@.*$ || "$1" =~ ^(.*[^[:alnum:]_])?password[[:space:]]*=.*$ ]]; then
    fail "the restore target holds a password, which would be visible in the process list: name the target" \
      "without it and put the password in a password file (PGPASSFILE) or PGPASSWORD"
  fi
}

target_sql() {
  psql --no-psqlrc --no-align --tuples-only --quiet -v ON_ERROR_STOP=1 --dbname="$1" --command="$2"
}

# What the target holds besides what every new database has: relations, routines and schemas of its own.
TARGET_OBJECTS="select (select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace
                        where n.nspname not like 'pg\\_%' and n.nspname <> 'information_schema')
                     + (select count(*) from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                        where n.nspname not like 'pg\\_%' and n.nspname <> 'information_schema')
                     + (select count(*) from pg_namespace
                        where nspname not like 'pg\\_%' and nspname not in ('information_schema', 'public'))"
TARGET_NAME="select format('database %s on %s:%s as %s', current_database(),
                           coalesce(host(inet_server_addr()), 'the local socket'), current_setting('port'),
                           current_user)"

restore() {
  local force=no set target described objects replacing=""
  if [[ "${1:-}" == --force ]]; then
    force=yes
    shift
  fi
  (($# == 2)) || fail "$USAGE"
  target=$2
  refuse_password_in "$target"
  described=$(target_sql "$target" "$TARGET_NAME") || fail "cannot reach the restore target"
  objects=$(target_sql "$target" "$TARGET_OBJECTS")
  [[ "$objects" =~ ^[0-9]+$ ]] || fail "cannot tell what the restore target holds"
  if ((objects > 0)) && [[ "$force" != yes ]]; then
    fail "the target, $described, is not empty (it holds $objects tables, indexes, sequences, views, functions or" \
      "schemas): restore refuses to overwrite it without --force"
  fi
  set=$(resolve_set "$1")
  fetch "$set" "$WORK/plain"
  [[ -f "$WORK/plain/app.dump" ]] || fail "backup $set holds no app database"
  ((objects == 0)) || replacing=", replacing its $objects objects"
  log "restoring $set into $described$replacing"
  # One transaction: a failure anywhere rolls everything back, the target as it was (--single-transaction
  # implies --exit-on-error: https://www.postgresql.org/docs/current/app-pgrestore.html).
  pg_restore --single-transaction --exit-on-error --no-owner --no-privileges --clean --if-exists \
    --dbname="$target" "$WORK/plain/app.dump"
  log "restored $set into $described"
}

# trust_signers: the allowed signers of BACKUP_SIGNING_KEY, in WORK, as SIGNERS.
trust_signers() {
  require_env BACKUP_SIGNING_KEY
  SIGNERS="$WORK/allowed-signers"
  allowed_signers "$BACKUP_SIGNING_KEY" >"$SIGNERS"
}

main() {
  configure_rclone
  WORK=$(mktemp -d)
  trap 'rm -rf "$WORK"' EXIT
  trust_signers
  case "${1:-}" in
    list) (($# == 1)) || fail "$USAGE"; signed_sets ;;
    fetch)
      (($# == 3)) || fail "$USAGE"
      CHOSEN=$(resolve_set "$2")
      fetch "$CHOSEN" "$3"
      ;;
    restore) shift; restore "$@" ;;
    *) fail "$USAGE" ;;
  esac
}

# restore-drill.sh reuses the functions above without running anything.
[[ -n "${RESTORE_BACKUP_SH_LIBRARY_ONLY:-}" ]] || main "$@"
