#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2153  # inputs arrive in the environment
# Closes Coolify's direct ports (8000 dashboard, 6001 realtime, 6002 terminal) by binding them to
# 127.0.0.1, or opens them again, through Coolify's own docker-compose.custom.yml, which its
# upgrades keep using.
#
# Inputs (environment):
#   CLOSE_DIRECT_PORTS    true: bound to 127.0.0.1 | false: published as Coolify ships them
#   COMPOSE_OVERRIDE      the docker-compose.custom.yml that binds them to 127.0.0.1
#   COOLIFY_VERSION       the installed release (the compose files name the image by it)
set -euo pipefail
SCRIPT_NAME=direct-ports
# shellcheck source=lib.sh
[[ $(type -t install_file) == function ]] || source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_env CLOSE_DIRECT_PORTS COMPOSE_OVERRIDE COOLIFY_VERSION
CUSTOM=/data/coolify/source/docker-compose.custom.yml
MARKER="managed by hetzner-coolify"

apply_compose() {
  local files=(-f docker-compose.yml -f docker-compose.prod.yml)
  [[ -f "$ROOT$CUSTOM" ]] && files+=(-f docker-compose.custom.yml)
  (cd "$ROOT/data/coolify/source" &&
    LATEST_IMAGE="$COOLIFY_VERSION" docker compose --env-file .env "${files[@]}" up -d --remove-orphans)
  log "Coolify's containers recreated with the new port bindings"
}

if [[ -f "$ROOT$CUSTOM" ]] && ! grep -q "$MARKER" "$ROOT$CUSTOM"; then
  fail "$CUSTOM exists and is not ours; merge its port bindings by hand"
fi

case "$CLOSE_DIRECT_PORTS" in
  true)
    install_content 0644 "$CUSTOM" COMPOSE_OVERRIDE
    if changed "$CUSTOM"; then apply_compose; else log "direct ports already on 127.0.0.1"; fi
    ;;
  false)
    if [[ -f "$ROOT$CUSTOM" ]]; then
      rm -f "$ROOT$CUSTOM"
      apply_compose
    else
      log "direct ports already published"
    fi
    ;;
  *) fail "CLOSE_DIRECT_PORTS must be true or false, not '$CLOSE_DIRECT_PORTS'" ;;
esac
