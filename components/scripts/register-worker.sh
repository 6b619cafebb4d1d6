#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2153  # inputs arrive in the environment
# Registers a worker with Coolify through its API on this host, with the key Coolify already uses
# for its own host. Idempotent: a worker whose address Coolify knows is left alone.
#
# Inputs (environment):
#   WORKER_NAME, WORKER_IP   how Coolify names and reaches the worker (its private address)
#   COOLIFY_API_TOKEN        a root API token (sent as SSH environment; never on a command line)
#   COOLIFY_API              default http://127.0.0.1:8000/api/v1
#   COOLIFY_KEY_NAME         the key to use, default "localhost's key" (Coolify's own)
set -euo pipefail
SCRIPT_NAME=register-worker
# shellcheck source=lib.sh
[[ $(type -t install_file) == function ]] || source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_env WORKER_NAME WORKER_IP COOLIFY_API_TOKEN
COOLIFY_API=${COOLIFY_API:-http://127.0.0.1:8000/api/v1}
COOLIFY_KEY_NAME=${COOLIFY_KEY_NAME:-"localhost's key"}

# The token goes in a header file, so that it is not in curl's arguments (the process list).
headers=$(mktemp)
trap 'rm -f "$headers"' EXIT
chmod 0600 "$headers"
printf 'Authorization: Bearer %s\nAccept: application/json\nContent-Type: application/json\n' "$COOLIFY_API_TOKEN" >"$headers"

api() {
  curl -fsS --max-time 30 --header "@$headers" "$@" || fail "Coolify's API refused: $*"
}

if api "$COOLIFY_API/servers" | jq -e --arg ip "$WORKER_IP" 'any(.[]; .ip == $ip)' >/dev/null; then
  log "Coolify already knows $WORKER_NAME ($WORKER_IP)"
  exit 0
fi
key_uuid=$(api "$COOLIFY_API/security/keys" | jq -r --arg name "$COOLIFY_KEY_NAME" 'first(.[] | select(.name == $name) | .uuid) // empty')
[[ -n "$key_uuid" ]] || fail "Coolify has no key named \"$COOLIFY_KEY_NAME\""
body=$(jq -n --arg name "$WORKER_NAME" --arg ip "$WORKER_IP" --arg key "$key_uuid" \
  '{name: $name, description: "worker, managed by hetzner-coolify", ip: $ip, port: 22, user: "root",
    private_key_uuid: $key, is_build_server: false, instant_validate: true}')
uuid=$(api -X POST "$COOLIFY_API/servers" --data "$body" | jq -r '.uuid')
log "registered $WORKER_NAME ($WORKER_IP) as server $uuid"
