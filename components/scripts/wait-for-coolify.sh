#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Waits until Coolify is up: its upgrade finished, its container running COOLIFY_VERSION and healthy,
# its health endpoint answering. Fails after DEADLINE_SECONDS (default 600) with the tail of the
# install log.
set -euo pipefail
SCRIPT_NAME=wait-for-coolify
# shellcheck source=lib.sh
[[ $(type -t install_file) == function ]] || source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_env COOLIFY_VERSION
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
