#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Waits until Coolify is up: its upgrade finished, its container running COOLIFY_VERSION and healthy,
# its health endpoint answering; then checks that its first admin exists and registration is closed.
# Fails after DEADLINE_SECONDS (default 600) with the tail of the install log.
#
# Inputs (environment): COOLIFY_VERSION; ADMIN_EMAIL, the first admin the installer was given.
set -euo pipefail
SCRIPT_NAME=wait-for-coolify
# shellcheck source=lib.sh
[[ $(type -t install_file) == function ]] || source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_env COOLIFY_VERSION ADMIN_EMAIL
DEADLINE_SECONDS=${DEADLINE_SECONDS:-600}
POLL_SECONDS=${POLL_SECONDS:-5}
SOURCE_DIR="$ROOT/data/coolify/source"
HEALTH_URL=${HEALTH_URL:-http://127.0.0.1:8000/api/health}

show_logs_and_fail() {
  local newest
  newest=$(find "$SOURCE_DIR" -maxdepth 1 \( -name 'installation-*.log' -o -name 'upgrade-*.log' \) -printf '%T@ %p\n' 2>/dev/null |
    sort -n | tail -n 1 | cut -d' ' -f2-)
  if [[ -n "$newest" ]]; then
    log "last lines of $newest:"
    tail -n 40 "$newest" >&2
  fi
  fail "$1"
}

# The upgrade writes 'step|message|time'; step 6 is done and the file disappears soon after.
upgrade_finished() {
  local status_file="$SOURCE_DIR/.upgrade-status" step
  [[ -f "$status_file" ]] || return 0
  step=$(cut -d'|' -f1 "$status_file")
  [[ "$step" != error ]] || show_logs_and_fail "Coolify's upgrade failed: $(cut -d'|' -f2 "$status_file")"
  [[ "$step" == 6 ]]
}

container_healthy() {
  [[ "$(running_coolify_version)" == "$COOLIFY_VERSION" ]] &&
    [[ "$(docker inspect --format '{{.State.Health.Status}}' coolify 2>/dev/null)" == healthy ]]
}

deadline=$((SECONDS + DEADLINE_SECONDS))
until upgrade_finished && container_healthy && curl -fsS --max-time 5 "$HEALTH_URL" >/dev/null 2>&1; do
  if ((SECONDS >= deadline)); then
    show_logs_and_fail "Coolify was not ready within ${DEADLINE_SECONDS}s (upgrade finished, container of $COOLIFY_VERSION healthy, $HEALTH_URL)"
  fi
  sleep "$POLL_SECONDS"
done
log "Coolify is ready"

# Coolify creates its first admin only when the email and password pass its own checks (a resolvable
# mail domain, a password in no breach), and otherwise leaves registration open to the first visitor
# (coollabsio/coolify@v4.3.10:database/seeders/RootUserSeeder.php:18-46, 67-71).
coolify_db() {
  docker exec coolify-db psql -U coolify -d coolify -tAc "$1" || fail "could not read Coolify's database (coolify-db)"
}
admin=$(coolify_db "select email from users where id = 0")
[[ -n "$admin" ]] || fail "Coolify created no admin for $ADMIN_EMAIL and registration is open to whoever reaches the dashboard first; its reason: docker logs coolify 2>&1 | grep -A3 'Root User'"
[[ "$(coolify_db "select is_registration_enabled from instance_settings where id = 0")" == f ]] ||
  fail "Coolify's registration is open: anyone who reaches the dashboard can sign up; close it in Settings"
if [[ "$admin" != "$ADMIN_EMAIL" ]]; then
  log "warning: Coolify's admin is $admin, not $ADMIN_EMAIL: changed in Coolify, or someone registered first"
fi
log "Coolify's admin is $admin; registration is closed"
