#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2153  # inputs arrive in the environment
# Backs up the app database and Coolify (its .env, which holds APP_KEY, and its own database) to an
# S3-compatible bucket: each file dumped, encrypted with age on this host, uploaded, verified; then a
# MANIFEST of checksums, signed with this host's backup signing key (the signature uploaded first, the
# MANIFEST last: its presence marks the set complete). Keeps the newest backup of each of the last
# BACKUP_KEEP_DAILY days, then of BACKUP_KEEP_WEEKLY more weeks and BACKUP_KEEP_MONTHLY more months
# (a set kept by one rule does not count for the next), and deletes the rest. Only sets this key signed
# count, and only sets named as this script names them are ever deleted; the set just made never is.
#
# Usage: backup.sh run | prune | list
# Environment (systemd reads it from /etc/hetzner-coolify/backup.env; the bucket's keys and the signing key
# come as credentials):
#   BACKUP_S3_ENDPOINT, BACKUP_S3_BUCKET, BACKUP_S3_REGION, BACKUP_S3_PROVIDER,
#   BACKUP_S3_ACCESS_KEY_ID, BACKUP_S3_SECRET_ACCESS_KEY, BACKUP_PREFIX
#   BACKUP_SIGNING_KEY_FILE              the private signing key (credential backup-signing-key under systemd)
#   BACKUP_AGE_RECIPIENT                 age public key; the private key never comes near this host
#   BACKUP_KEEP_DAILY/WEEKLY/MONTHLY     retention (7/4/3)
#   BACKUP_LOCK_DAYS                     the bucket refuses deletes of objects younger than this (R2 bucket lock;
#                                        0: no lock): a set is never deleted before it is a day older than that
#   BACKUP_PING_URL                      optional; pinged on success, <url>/fail on failure
#   BACKUP_PG_DUMP                       container (default): pg_dump inside the database container;
#                                        local: the pg_dump on PATH with PGHOST/PGPORT/PGPASSWORD (tests)
#   POSTGRES_CONTAINER, POSTGRES_USER, POSTGRES_DB     the app database (no POSTGRES_DB skips it); its dump
#                                        comes with the row count of each table, counted in the dump's snapshot
#                                        (app.row-counts.tsv: what restore-drill.sh compares a restore with)
#   COOLIFY_SOURCE_DIR                   default /data/coolify/source
#   COOLIFY_DB_CONTAINER, COOLIFY_DB_USER, COOLIFY_DB_NAME   Coolify's database ('' skips it)
set -euo pipefail
SCRIPT_NAME=backup
# shellcheck source=lib.sh
[[ $(type -t install_file) == function ]] || source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# Dumps and keys this script writes are for root alone.
umask 077

BACKUP_PG_DUMP=${BACKUP_PG_DUMP:-container}
BACKUP_LOCK_DAYS=${BACKUP_LOCK_DAYS:-0}
COOLIFY_SOURCE_DIR=${COOLIFY_SOURCE_DIR:-/data/coolify/source}
COOLIFY_DB_CONTAINER=${COOLIFY_DB_CONTAINER-coolify-db}
COOLIFY_DB_USER=${COOLIFY_DB_USER:-coolify}
COOLIFY_DB_NAME=${COOLIFY_DB_NAME:-coolify}
POSTGRES_CONTAINER=${POSTGRES_CONTAINER-app-postgres}
# Sets that never got their MANIFEST (an interrupted run) are deleted once this old.
STALE_INCOMPLETE_DAYS=2
# A set stamped further ahead of this host's clock than this is future-dated: it neither counts nor goes.
CLOCK_SKEW_MINUTES=15
# How run_backup names a set (UTC start time); nothing else under the prefix is ever deleted.
SET_NAME='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{6}Z$'
# What a signature is for, and who made it (ssh-keygen(1) -Y sign/-Y verify, ALLOWED SIGNERS: the namespace is
# bound into the signature and checked against the allowed signers line; openssh/openssh-portable@V_9_2_P1:
# ssh-keygen.1:720-775,1210-1268). The namespace follows the NAMESPACE@DOMAIN advice of ssh-keygen.1:749.
SIGNATURE_NAMESPACE=backup-set@hetzner-coolify
SIGNER=backup@hetzner-coolify
# An ed25519 public key line: its base64 is always these 68 characters (string "ssh-ed25519", then a string of 32
# bytes: RFC 8709 section 4).
ED25519_PUBLIC_KEY='^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]{43}( [^[:cntrl:]]*)?$'

# Under systemd the bucket's keys and the signing key arrive as credential files (LoadCredential=), elsewhere as
# environment.
load_credentials() {
  [[ -n "${CREDENTIALS_DIRECTORY:-}" ]] || return 0
  BACKUP_S3_ACCESS_KEY_ID=$(<"$CREDENTIALS_DIRECTORY/s3-access-key-id")
  BACKUP_S3_SECRET_ACCESS_KEY=$(<"$CREDENTIALS_DIRECTORY/s3-secret-access-key")
  if [[ -f "$CREDENTIALS_DIRECTORY/backup-signing-key" ]]; then
    BACKUP_SIGNING_KEY_FILE="$CREDENTIALS_DIRECTORY/backup-signing-key"
  fi
}

configure_rclone() {
  load_credentials
  require_env BACKUP_S3_ENDPOINT BACKUP_S3_BUCKET BACKUP_S3_ACCESS_KEY_ID BACKUP_S3_SECRET_ACCESS_KEY BACKUP_PREFIX
  # One folder name: what prune deletes stays under this stack's prefix.
  [[ "$BACKUP_PREFIX" =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] ||
    fail "BACKUP_PREFIX must be one folder name (letters, digits, . _ -), not '$BACKUP_PREFIX'"
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
  # A number, never an expression: bash arithmetic would evaluate one.
  [[ "$BACKUP_LOCK_DAYS" =~ ^[0-9]{1,4}$ ]] || fail "BACKUP_LOCK_DAYS must be a number of days, not '$BACKUP_LOCK_DAYS'"
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

# The row count of every ordinary table of the database's own schemas, one "schema.table<TAB>rows" line each,
# quoted as SQL names (a tab or line break in a name made a space, so a line stays a line) and sorted bytewise:
# the tables pg_dump dumps the data of. A table an extension created is left to CREATE EXTENSION, unless the
# extension marked it as configuration to dump (pg_depend deptype 'e', pg_extension.extconfig:
# https://www.postgresql.org/docs/17/extend-extensions.html#EXTEND-EXTENSIONS-CONFIG-TABLES). Row security off, as
# pg_dump sets it: a table whose policies would hide rows fails the count as it fails the dump, never counts fewer
# (https://www.postgresql.org/docs/17/app-pgdump.html, --enable-row-security). One query, no function defined:
# query_to_xml runs each count (https://www.postgresql.org/docs/17/functions-xml.html#FUNCTIONS-XML-MAPPING).
ROW_COUNTS_SQL="set row_security = off;
select translate(format('%I.%I', n.nspname, c.relname), E'\t\n\r', '   ') || E'\t' ||
       (xpath('/row/n/text()', query_to_xml(format('select count(*) as n from %I.%I', n.nspname, c.relname),
                                            false, true, '')))[1]::text
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
 where c.relkind = 'r' and n.nspname not like 'pg\\_%' and n.nspname <> 'information_schema'
   and not exists (select from pg_depend d join pg_extension e on e.oid = d.refobjid
                    where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e'
                      and c.oid <> all(coalesce(e.extconfig, '{}')))
 order by format('%I.%I', n.nspname, c.relname) collate \"C\";"
# What pg_export_snapshot returns: hexadecimal virtual transaction id and a counter ("00000003-0000001B-1").
SNAPSHOT_ID='^[0-9A-F]+-[0-9A-F]+-[0-9]+$'

# postgres_client CONTAINER PROGRAM ARGUMENTS...: a PostgreSQL client program next to the database (in its
# container, or the local one with PGHOST/PGPORT/PGPASSWORD under BACKUP_PG_DUMP=local).
postgres_client() {
  local container=$1
  shift
  if [[ "$BACKUP_PG_DUMP" == local ]]; then "$@"; else docker exec -i "$container" "$@"; fi
}

# dump_with_row_counts CONTAINER USER DATABASE DUMP COUNTS: the dump and each table's row count from one
# snapshot, so rows written meanwhile are in both or in neither. A session keeps a REPEATABLE READ transaction
# open and exports its snapshot; pg_dump --snapshot dumps exactly what that transaction sees; the session then
# counts in it (https://www.postgresql.org/docs/17/functions-admin.html#FUNCTIONS-SNAPSHOT-SYNCHRONIZATION: the
# snapshot can be imported only while the exporting transaction is open; app-pgdump.html, --snapshot).
dump_with_row_counts() {
  local container=$1 user=$2 database=$3 dump=$4 counts=$5 snapshot to_session from_session session_pid
  coproc SNAPSHOT_SESSION {
    postgres_client "$container" psql --no-psqlrc --quiet --no-align --tuples-only -v ON_ERROR_STOP=1 \
      --username="$user" --dbname="$database" 2>&1
  }
  session_pid=$SNAPSHOT_SESSION_PID
  # A session that died early must fail the backup loudly: a write to its closed pipe would otherwise kill this
  # shell with SIGPIPE, silently and with no failure ping; ignored, the write fails and so does the backup.
  trap '' PIPE
  # Copies of the session's pipes: bash forgets a coprocess's descriptors once it exits, before its output is read.
  exec {to_session}>&"${SNAPSHOT_SESSION[1]}" {from_session}<&"${SNAPSHOT_SESSION[0]}"
  printf '%s\n' 'begin transaction isolation level repeatable read, read only;' 'select pg_export_snapshot();' \
    >&"$to_session"
  read -r -t 60 snapshot <&"$from_session" || snapshot=""
  if [[ ! "$snapshot" =~ $SNAPSHOT_ID ]]; then
    exec {to_session}>&-
    fail "could not open a snapshot of $database: ${snapshot:-no answer}$(timeout 5 cat <&"$from_session" | tr '\n' ' ')"
  fi
  postgres_client "$container" pg_dump --format=custom --snapshot="$snapshot" --username="$user" "$database" >"$dump"
  printf '%s\n' "$ROW_COUNTS_SQL" 'commit;' '\q' >&"$to_session"
  exec {to_session}>&-
  cat <&"$from_session" >"$counts"
  exec {from_session}<&-
  trap - PIPE
  wait "$session_pid" || fail "counting the rows of $database failed: $(head -c 2000 "$counts")"
  grep -qvE $'^[^\t]+\t[0-9]+$' "$counts" && fail "counting the rows of $database gave: $(head -c 2000 "$counts")"
  postgres_client "$container" pg_restore --list <"$dump" >/dev/null
}

is_set_name() {
  [[ "$1" =~ $SET_NAME ]]
}

# stamp_at WHEN: the UTC time `date -d WHEN` means ("now", "-3 days"), written as sets are named.
stamp_at() {
  date -u -d "$1" +%Y-%m-%dT%H%M%SZ
}

# signed_message SET MANIFEST: what a set's signature covers, its name (this stack's prefix and the set) and its
# MANIFEST; a genuine set copied under another name or prefix no longer verifies.
signed_message() {
  printf 'hetzner-coolify backup set %s/%s\n' "$BACKUP_PREFIX" "$1"
  cat -- "$2"
}

# allowed_signers KEYS: the allowed signers lines of the public keys in KEYS (one per line) for backup sets.
allowed_signers() {
  local key found=0 parts
  while IFS= read -r key; do
    [[ -n "$key" ]] || continue
    [[ "$key" =~ $ED25519_PUBLIC_KEY ]] || fail "a backup signing key must be a line 'ssh-ed25519 <base64> [comment]'"
    read -r -a parts <<<"$key"
    printf '%s namespaces="%s" %s %s\n' "$SIGNER" "$SIGNATURE_NAMESPACE" "${parts[0]}" "${parts[1]}"
    found=1
  done <<<"$1"
  ((found)) || fail "no backup signing key given"
}

# manifest_verifies DIR SET SIGNERS: whether DIR/MANIFEST is signed (DIR/MANIFEST.sig) for SET by a key of SIGNERS.
manifest_verifies() {
  [[ -f "$1/MANIFEST" && -f "$1/MANIFEST.sig" ]] || return 1
  signed_message "$2" "$1/MANIFEST" |
    ssh-keygen -Y verify -f "$3" -I "$SIGNER" -n "$SIGNATURE_NAMESPACE" -s "$1/MANIFEST.sig" >/dev/null 2>&1
}

# fetch_manifests DIR: every set's MANIFEST and signature, in one listing and one transfer (a leading / anchors a
# pattern at the top of the prefix, and * never crosses a /: https://rclone.org/filtering/#patterns).
fetch_manifests() {
  mkdir -p "$1"
  rclone copy "$REMOTE" "$1" --include '/*/MANIFEST' --include '/*/MANIFEST.sig'
}

# complete_sets DIR: sets with a MANIFEST in DIR (as fetch_manifests left them), newest first.
complete_sets() {
  local path set
  for path in "$1"/*/MANIFEST; do
    [[ -f "$path" ]] || continue
    set=${path%/MANIFEST}
    set=${set##*/}
    if is_set_name "$set"; then printf '%s\n' "$set"; fi
  done | sort -r
}

# verified_sets DIR SIGNERS: the complete sets of DIR whose MANIFEST a key of SIGNERS signed, newest first; the
# others are named on stderr and left out.
verified_sets() {
  local set
  complete_sets "$1" | while IFS= read -r set; do
    if manifest_verifies "$1/$set" "$set" "$2"; then
      printf '%s\n' "$set"
    else
      log "ignoring set $set: its MANIFEST is not signed by the backup signing key"
    fi
  done
}

# The allowed signers line of this host's own key, derived from the private key.
own_signers() {
  require_env SIGNING_KEY
  allowed_signers "$(ssh-keygen -y -f "$SIGNING_KEY")"
}

# A private copy of the signing key: ssh-keygen refuses a key file others may read, whatever mode the credential
# arrives with (openssh/openssh-portable@V_9_2_P1:authfile.c:90-131).
prepare_signing_key() {
  require_env BACKUP_SIGNING_KEY_FILE
  [[ -s "$BACKUP_SIGNING_KEY_FILE" ]] || fail "the backup signing key $BACKUP_SIGNING_KEY_FILE is missing (install-backup.sh makes it)"
  SIGNING_KEY="$1/signing-key"
  install -m 0600 "$BACKUP_SIGNING_KEY_FILE" "$SIGNING_KEY"
}

# Every folder at the top of the prefix (set or not: the callers check the name).
all_sets() {
  local folder
  rclone lsf --dirs-only "$REMOTE/" | while IFS= read -r folder; do printf '%s\n' "${folder%/}"; done | sort -r
}

# period SET RULE: the day, ISO week or month a set (named by its UTC time) belongs to.
period() {
  case "$2" in
    daily) printf '%s\n' "${1:0:10}" ;;
    weekly) date -u -d "${1:0:10}" +%G-W%V ;;
    monthly) printf '%s\n' "${1:0:7}" ;;
  esac
}

# prune WORK [CURRENT]: retention over the sets this host signed, CURRENT (the set just made) always kept.
prune() {
  local work=$1 current=${2:-}
  local -A kept=()
  local signed=() sets=() future=() held=() doomed=() rule limit set last count this
  local too_new hold_from stale_before stale_days complete
  fetch_manifests "$work/manifests"
  own_signers >"$work/allowed-signers"
  mapfile -t signed < <(verified_sets "$work/manifests" "$work/allowed-signers")
  too_new=$(stamp_at "+$CLOCK_SKEW_MINUTES minutes")
  for set in "${signed[@]}"; do
    # A clock that ran ahead once (or a stolen key) must not let one set take every slot from the real ones.
    if [[ "$set" > "$too_new" ]]; then future+=("$set"); else sets+=("$set"); fi
  done
  if ((${#future[@]})); then
    log "warning: ignoring ${#future[@]} future-dated sets (more than $CLOCK_SKEW_MINUTES minutes ahead of this host's clock): ${future[*]}"
  fi
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
  if [[ -n "$current" ]]; then
    kept[$current]=${kept[$current]:-current}
  fi
  # Objects younger than the bucket's lock cannot be deleted: a set waits until it is a day older than the lock
  # (its objects were uploaded after the time it is named by, within the run).
  hold_from=""
  if ((BACKUP_LOCK_DAYS > 0)); then
    hold_from=$(stamp_at "-$((BACKUP_LOCK_DAYS + 1)) days")
  fi
  for set in "${sets[@]}"; do
    [[ -z "${kept[$set]:-}" ]] || continue
    if [[ -n "$hold_from" && ! "$set" < "$hold_from" ]]; then held+=("$set"); else doomed+=("$set"); fi
  done
  stale_days=$STALE_INCOMPLETE_DAYS
  ((BACKUP_LOCK_DAYS < stale_days)) || stale_days=$((BACKUP_LOCK_DAYS + 1))
  stale_before=$(stamp_at "-$stale_days days")
  complete=" $(complete_sets "$work/manifests" | tr '\n' ' ') "
  while read -r set; do
    if is_set_name "$set" && [[ "$complete" != *" $set "* && "$set" < "$stale_before" ]]; then
      doomed+=("$set")
    fi
  done < <(all_sets)
  if ((${#doomed[@]})); then
    # One deletion for all of them, anchored at the prefix: a set is a folder of a few objects.
    rclone delete "$REMOTE" --include-from <(printf '/%s/**\n' "${doomed[@]}")
    log "deleted ${#doomed[@]} sets: ${doomed[*]}"
  fi
  if ((${#held[@]})); then
    log "held ${#held[@]} sets until the bucket lock ($BACKUP_LOCK_DAYS days) lets them go: ${held[*]}"
  fi
  log "kept ${#kept[@]} sets: $(for set in "${!kept[@]}"; do printf '%s=%s\n' "$set" "${kept[$set]}"; done | sort | tr '\n' ' ')"
}

run_backup() {
  local work=$1 stamp set file
  require_env BACKUP_AGE_RECIPIENT
  stamp=$(stamp_at now)
  set="$work/$stamp"
  mkdir -p "$set" "$work/plain"
  if [[ -n "${POSTGRES_DB:-}" ]]; then
    dump_with_row_counts "$POSTGRES_CONTAINER" "$POSTGRES_USER" "$POSTGRES_DB" "$work/plain/app.dump" \
      "$work/plain/app.row-counts.tsv"
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
  signed_message "$stamp" "$work/MANIFEST" |
    ssh-keygen -Y sign -q -f "$SIGNING_KEY" -n "$SIGNATURE_NAMESPACE" >"$work/MANIFEST.sig"
  rclone copy "$set" "$REMOTE/$stamp"
  # Sizes and checksums of what arrived, against what left; a short or damaged upload stops here,
  # before the MANIFEST that would make the set look complete.
  rclone check --one-way "$set" "$REMOTE/$stamp" || fail "the uploaded set $stamp does not match what was sent"
  rclone copyto "$work/MANIFEST.sig" "$REMOTE/$stamp/MANIFEST.sig"
  rclone copyto "$work/MANIFEST" "$REMOTE/$stamp/MANIFEST"
  MADE_SET=$stamp
  log "backed up $stamp ($(wc -l <"$work/MANIFEST") files, signed)"
}

main() {
  local command=${1:-run}
  configure_rclone
  WORK=$(mktemp -d)
  case "$command" in
    run)
      trap 'status=$?; rm -rf "$WORK"; ((status == 0)) || ping_monitor /fail' EXIT
      prepare_signing_key "$WORK"
      run_backup "$WORK"
      prune "$WORK" "$MADE_SET"
      ping_monitor ""
      ;;
    prune)
      trap 'rm -rf "$WORK"' EXIT
      prepare_signing_key "$WORK"
      prune "$WORK"
      ;;
    list)
      trap 'rm -rf "$WORK"' EXIT
      prepare_signing_key "$WORK"
      fetch_manifests "$WORK/manifests"
      own_signers >"$WORK/allowed-signers"
      verified_sets "$WORK/manifests" "$WORK/allowed-signers"
      ;;
    *) fail "usage: backup.sh run | prune | list" ;;
  esac
}

# restore-backup.sh reuses the functions above without running anything.
[[ -n "${BACKUP_SH_LIBRARY_ONLY:-}" ]] || main "$@"
