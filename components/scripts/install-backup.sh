#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2153  # inputs arrive in the environment
# Installs the backup job: rclone and age from the distribution, the backup script, its settings,
# its credentials (root-only files the service loads) and a systemd timer. Idempotent: a second run changes nothing.
#
# Inputs (environment):
#   BACKUP_SCRIPT, BACKUP_ENV, BACKUP_SERVICE, BACKUP_TIMER   the files to install
#   BACKUP_S3_ACCESS_KEY_ID, BACKUP_S3_SECRET_ACCESS_KEY      sent as SSH environment; never printed
set -euo pipefail
SCRIPT_NAME=install-backup
# shellcheck source=lib.sh
[[ $(type -t install_file) == function ]] || source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_env BACKUP_SCRIPT BACKUP_ENV BACKUP_SERVICE BACKUP_TIMER BACKUP_S3_ACCESS_KEY_ID BACKUP_S3_SECRET_ACCESS_KEY
[[ "$(id -u)" == 0 ]] || fail "must run as root"
SERVICE=/etc/systemd/system/hetzner-coolify-backup.service
TIMER=/etc/systemd/system/hetzner-coolify-backup.timer
CREDENTIALS_DIR=/etc/hetzner-coolify/credentials

apt_install rclone age curl ca-certificates
install_content 0755 /usr/local/sbin/hetzner-coolify-backup BACKUP_SCRIPT
install_content 0644 /etc/hetzner-coolify/backup.env BACKUP_ENV
# The credentials as files the service loads (LoadCredential=), byte for byte: an environment file would
# reinterpret quotes, backslashes and edge spaces.
install -d -m 0700 "$ROOT$CREDENTIALS_DIR"
install_content 0600 "$CREDENTIALS_DIR/s3-access-key-id" BACKUP_S3_ACCESS_KEY_ID
install_content 0600 "$CREDENTIALS_DIR/s3-secret-access-key" BACKUP_S3_SECRET_ACCESS_KEY
# Where hosts installed before kept them.
if [[ -f "$ROOT/etc/hetzner-coolify/backup-credentials.env" ]]; then
  rm -f "$ROOT/etc/hetzner-coolify/backup-credentials.env"
  CHANGED_FILES+=(/etc/hetzner-coolify/backup-credentials.env)
fi
install_content 0644 "$SERVICE" BACKUP_SERVICE
install_content 0644 "$TIMER" BACKUP_TIMER

if changed "$SERVICE" || changed "$TIMER"; then
  systemctl daemon-reload
fi
systemctl is-enabled --quiet hetzner-coolify-backup.timer || systemctl enable hetzner-coolify-backup.timer
if changed "$TIMER"; then
  systemctl restart hetzner-coolify-backup.timer
else
  systemctl is-active --quiet hetzner-coolify-backup.timer || systemctl start hetzner-coolify-backup.timer
fi
log "backup job installed (${#CHANGED_FILES[@]} files changed)"
