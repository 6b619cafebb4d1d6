#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2153  # inputs arrive in the environment
# Installs the monitor: curl, jq and openssl from the distribution, the monitor script, its settings, the
# webhook's and the heartbeat's URLs as root-only files the service loads (an unset URL's file is removed), a
# systemd timer; then proves it: one pass runs now and must succeed. Idempotent: a second run changes nothing
# (the proving pass runs again only when the monitor's files changed, or until one has succeeded).
#
# Inputs (environment):
#   MONITOR_SCRIPT, MONITOR_ENV, MONITOR_SERVICE, MONITOR_TIMER   the files to install
#   MONITOR_WEBHOOK_URL, MONITOR_HEARTBEAT_URL                    optional; sent as SSH environment, never printed
set -euo pipefail
SCRIPT_NAME=install-monitor
# shellcheck source=lib.sh
[[ $(type -t install_file) == function ]] || source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_env MONITOR_SCRIPT MONITOR_ENV MONITOR_SERVICE MONITOR_TIMER
[[ "$(id -u)" == 0 ]] || fail "must run as root"
SERVICE=/etc/systemd/system/hetzner-coolify-monitor.service
TIMER=/etc/systemd/system/hetzner-coolify-monitor.timer
MONITOR=/usr/local/sbin/hetzner-coolify-monitor
SETTINGS=/etc/hetzner-coolify/monitor.env
# Loaded as a whole by the service (LoadCredential= of a directory): what is here is what it gets.
URLS_DIR=/etc/hetzner-coolify/credentials/monitor
# Present once a pass of the monitor as installed now has succeeded.
PROVEN=/var/lib/hetzner-coolify/monitor-proven

# install_url FILE VARIABLE: the URL as a root-only file, byte for byte; no file when the URL is unset.
install_url() {
  local file=$URLS_DIR/$1
  if [[ -n "${!2:-}" ]]; then
    install_content 0600 "$file" "$2"
  elif [[ -e "$ROOT$file" ]]; then
    rm -f "$ROOT$file"
    CHANGED_FILES+=("$file")
    log "removed $file: $2 is no longer set"
  fi
}

apt_install curl ca-certificates jq openssl iputils-ping
install_content 0755 "$MONITOR" MONITOR_SCRIPT
install_content 0644 "$SETTINGS" MONITOR_ENV
install -d -m 0700 "$ROOT/etc/hetzner-coolify/credentials" "$ROOT$URLS_DIR"
install_url webhook-url MONITOR_WEBHOOK_URL
install_url heartbeat-url MONITOR_HEARTBEAT_URL
install_content 0644 "$SERVICE" MONITOR_SERVICE
install_content 0644 "$TIMER" MONITOR_TIMER

arm_timer hetzner-coolify-monitor.timer "$SERVICE" "$TIMER"

if ((${#CHANGED_FILES[@]})); then rm -f "$ROOT$PROVEN"; fi
if [[ ! -f "$ROOT$PROVEN" ]]; then
  log "running one pass of the monitor now, as the timer would"
  run_oneshot hetzner-coolify-monitor.service ||
    fail "the first pass of the monitor failed (above; journalctl -u hetzner-coolify-monitor.service)"
  install -d -m 0755 "$(dirname "$ROOT$PROVEN")"
  touch "$ROOT$PROVEN"
  log "the first pass of the monitor succeeded"
fi
if ((${#CHANGED_FILES[@]})); then
  log "monitor installed (${#CHANGED_FILES[@]} files changed)"
else
  log "monitor already installed as given: nothing changed"
fi
