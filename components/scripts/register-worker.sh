#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2153  # inputs arrive in the environment
# Registers a worker with Coolify through its API on this host, with the key Coolify uses for its own
# host, then has Coolify validate it and install what it needs there (Docker, git, jq), and waits until
# Coolify can use it. Idempotent: a worker Coolify already uses is left alone.
#
# Inputs (environment):
#   WORKER_NAME, WORKER_IP   how Coolify names and reaches the worker (its private address)
#   COOLIFY_API_TOKEN        an API token with write access (sent as SSH environment; never on a command line)
#   COOLIFY_API              default http://127.0.0.1:8000/api/v1
#   COOLIFY_KEY_NAME         the key to use, default "localhost's key" (Coolify's own)
#   DEADLINE_SECONDS, POLL_SECONDS   how long to wait for the validation (default 900 s, every 10 s)
#
# The API, as read in coollabsio/coolify@v4.3.10: POST /servers answers {"uuid"}
# (app/Http/Controllers/Api/ServersController.php:482-589); POST /servers/{uuid}/validate with
# {"install": true} starts the validation and installation (ServersController.php:952-1002,
# app/Jobs/ValidateAndInstallServerJob.php), which sets is_validating while it runs and validation_logs
# when it fails; GET /servers/{uuid} shows them with settings.is_reachable and settings.is_usable.
set -euo pipefail
SCRIPT_NAME=register-worker
# shellcheck source=lib.sh
[[ $(type -t install_file) == function ]] || source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_env WORKER_NAME WORKER_IP COOLIFY_API_TOKEN
COOLIFY_API=${COOLIFY_API:-http://127.0.0.1:8000/api/v1}
COOLIFY_KEY_NAME=${COOLIFY_KEY_NAME:-"localhost's key"}
DEADLINE_SECONDS=${DEADLINE_SECONDS:-900}
POLL_SECONDS=${POLL_SECONDS:-10}

# The token goes in a header file, so that it is not in curl's arguments (the process list).
headers=$(mktemp)
trap 'rm -f "$headers"' EXIT
chmod 0600 "$headers"
printf 'Authorization: Bearer %s\nAccept: application/json\nContent-Type: application/json\n' "$COOLIFY_API_TOKEN" >"$headers"

api() {
  curl -fsS --max-time 30 --header "@$headers" "$@" </dev/null || fail "Coolify's API refused: $*"
}

# What Coolify says of the worker, as one JSON line.
state() {
  api "$COOLIFY_API/servers/$uuid" |
    jq -c '{usable: (.settings.is_reachable == true and .settings.is_usable == true and .is_validating != true),
            validating: (.is_validating == true), logs: .validation_logs}'
}

uuid=$(api "$COOLIFY_API/servers" | jq -r --arg ip "$WORKER_IP" 'first(.[] | select(.ip == $ip) | .uuid) // empty')
if [[ -z "$uuid" ]]; then
  key_uuid=$(api "$COOLIFY_API/security/keys" | jq -r --arg name "$COOLIFY_KEY_NAME" 'first(.[] | select(.name == $name) | .uuid) // empty')
  [[ -n "$key_uuid" ]] || fail "Coolify has no key named \"$COOLIFY_KEY_NAME\""
  body=$(jq -n --arg name "$WORKER_NAME" --arg ip "$WORKER_IP" --arg key "$key_uuid" \
    '{name: $name, description: "worker, managed by hetzner-coolify", ip: $ip, port: 22, user: "root",
      private_key_uuid: $key, is_build_server: false}')
  uuid=$(api -X POST "$COOLIFY_API/servers" --data "$body" | jq -r '.uuid')
  log "registered $WORKER_NAME ($WORKER_IP) as server $uuid"
fi

current=$(state)
if jq -e .usable <<<"$current" >/dev/null; then
  log "Coolify already uses $WORKER_NAME ($WORKER_IP)"
  exit 0
fi
earlier_logs=$(jq -c .logs <<<"$current")
api -X POST "$COOLIFY_API/servers/$uuid/validate" --data '{"install": true}' >/dev/null
log "Coolify validates $WORKER_NAME and installs what it needs there"

seen_validating=no
deadline=$((SECONDS + DEADLINE_SECONDS))
until jq -e .usable <<<"$current" >/dev/null; do
  jq -e .validating <<<"$current" >/dev/null && seen_validating=yes
  logs=$(jq -c .logs <<<"$current")
  # A validation that ended without making the worker usable: its own logs say why.
  if ! jq -e .validating <<<"$current" >/dev/null && [[ "$logs" != null ]] &&
    [[ "$seen_validating" == yes || "$logs" != "$earlier_logs" ]]; then
    reason=$(jq -r .logs <<<"$current" | sed 's/<[^>]*>/ /g' | tr -s ' \n' ' ' | sed 's/^ //; s/ $//')
    fail "Coolify cannot use $WORKER_NAME ($WORKER_IP): $reason"
  fi
  ((SECONDS < deadline)) || fail "Coolify did not finish validating $WORKER_NAME within ${DEADLINE_SECONDS}s: $current"
  sleep "$POLL_SECONDS"
  current=$(state)
done
log "Coolify can use $WORKER_NAME ($WORKER_IP)"
