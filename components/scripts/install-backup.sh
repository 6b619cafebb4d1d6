#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2153  # inputs arrive in the environment
# Installs the backup job: rclone and age from the distribution, the backup script, its settings,
# its credentials (root-only files the service loads), its signing key (made here, never leaving this host)
# and a systemd timer; then proves it: the schedule has a next run, and one backup runs now and must succeed.
# Idempotent: a second run changes nothing (the proving backup runs again only when the job's files changed,
# or until one has succeeded).
#
# Prints the signing key's public half on stdout, its only output there: restores verify sets against it.
#
# Inputs (environment):
#   BACKUP_SCRIPT, BACKUP_ENV, BACKUP_SERVICE, BACKUP_TIMER   the files to install
#   BACKUP_SCHEDULE                                           the timer's OnCalendar expression
#   BACKUP_S3_ACCESS_KEY_ID, BACKUP_S3_SECRET_ACCESS_KEY      sent as SSH environment; never printed
set -euo pipefail
SCRIPT_NAME=install-backup
# shellcheck source=lib.sh
[[ $(type -t install_file) == function ]] || source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_env BACKUP_SCRIPT BACKUP_ENV BACKUP_SERVICE BACKUP_TIMER BACKUP_SCHEDULE \
  BACKUP_S3_ACCESS_KEY_ID BACKUP_S3_SECRET_ACCESS_KEY
[[ "$(id -u)" == 0 ]] || fail "must run as root"
SERVICE=/etc/systemd/system/hetzner-coolify-backup.service
TIMER=/etc/systemd/system/hetzner-coolify-backup.timer
JOB=/usr/local/sbin/hetzner-coolify-backup
SETTINGS=/etc/hetzner-coolify/backup.env
CREDENTIALS_DIR=/etc/hetzner-coolify/credentials
SIGNING_KEY=$CREDENTIALS_DIR/backup-signing-key
# Present once a backup made by the job as installed now has succeeded.
PROVEN=/var/lib/hetzner-coolify/backup-proven

# The schedule must elapse again: a calendar expression that names only past times is valid to systemd, and a
# timer on it never fires. `systemd-analyze calendar` prints "Next elapse: never" for it and still exits 0
# (systemd/systemd@0ba60d7e:src/analyze/analyze-calendar.c:58-68,116; systemd 252 of Debian 12 alike).
check_schedule() {
  local analysis line next=""
  analysis=$(systemd-analyze calendar "$1" 2>&1) ||
    fail "backups.schedule '$1' is not a systemd calendar expression (systemd-analyze calendar: ${analysis##*$'\n'})"
  while IFS= read -r line; do
    if [[ "$line" =~ ^[[:space:]]*Next\ elapse:\ (.*)$ ]]; then next=${BASH_REMATCH[1]}; fi
  done <<<"$analysis"
  [[ -n "$next" && "$next" != never ]] ||
    fail "backups.schedule '$1' never elapses again (systemd-analyze calendar: next elapse ${next:-missing}): no backup would ever run"
  log "backups run on '$1', next at $next"
}

# An ed25519 key for signing backup sets, made here once and readable by root alone; the job loads it as a
# credential. Replacing the server makes a new one (the stack output changes with it).
ensure_signing_key() {
  if [[ ! -s "$ROOT$SIGNING_KEY" ]]; then
    rm -f "$ROOT$SIGNING_KEY" "$ROOT$SIGNING_KEY.pub"
    ssh-keygen -q -t ed25519 -N '' -C hetzner-coolify-backup -f "$ROOT$SIGNING_KEY" </dev/null >/dev/null
    rm -f "$ROOT$SIGNING_KEY.pub"
    CHANGED_FILES+=("$SIGNING_KEY")
    log "made the backup signing key $SIGNING_KEY"
  fi
  if [[ "$(stat -c %a "$ROOT$SIGNING_KEY")" != 600 ]]; then
    chmod 0600 "$ROOT$SIGNING_KEY"
    CHANGED_FILES+=("$SIGNING_KEY")
  fi
}

check_schedule "$BACKUP_SCHEDULE"
apt_install rclone age curl ca-certificates openssh-client
install_content 0755 "$JOB" BACKUP_SCRIPT
install_content 0644 "$SETTINGS" BACKUP_ENV
# The credentials as files the service loads (LoadCredential=), byte for byte: an environment file would
# reinterpret quotes, backslashes and edge spaces.
install -d -m 0700 "$ROOT$CREDENTIALS_DIR"
install_content 0600 "$CREDENTIALS_DIR/s3-access-key-id" BACKUP_S3_ACCESS_KEY_ID
install_content 0600 "$CREDENTIALS_DIR/s3-secret-access-key" BACKUP_S3_SECRET_ACCESS_KEY
ensure_signing_key
# Where hosts installed before kept them.
if [[ -f "$ROOT/etc/hetzner-coolify/backup-credentials.env" ]]; then
  rm -f "$ROOT/etc/hetzner-coolify/backup-credentials.env"
  CHANGED_FILES+=(/etc/hetzner-coolify/backup-credentials.env)
fi
install_content 0644 "$SERVICE" BACKUP_SERVICE
install_content 0644 "$TIMER" BACKUP_TIMER

arm_timer hetzner-coolify-backup.timer "$SERVICE" "$TIMER"

# A job whose script, settings, credentials, key or unit changed has yet to prove itself; a new schedule alone
# does not make it.
for file in "$JOB" "$SETTINGS" "$CREDENTIALS_DIR/s3-access-key-id" "$CREDENTIALS_DIR/s3-secret-access-key" \
  "$SIGNING_KEY" "$SERVICE"; do
  if changed "$file"; then rm -f "$ROOT$PROVEN"; fi
done
if [[ ! -f "$ROOT$PROVEN" ]]; then
  log "running one backup now, as the timer would"
  run_oneshot hetzner-coolify-backup.service ||
    fail "the first backup failed (above; journalctl -u hetzner-coolify-backup.service): the job is installed but does not work"
  install -d -m 0755 "$(dirname "$ROOT$PROVEN")"
  touch "$ROOT$PROVEN"
  log "the first backup succeeded"
fi
log "backup job installed (${#CHANGED_FILES[@]} files changed)"
ssh-keygen -y -f "$ROOT$SIGNING_KEY"
