#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2153  # inputs arrive in the environment
# Closes Coolify's direct ports (8000 dashboard, 6001 realtime, 6002 terminal) by binding them to
# 127.0.0.1, or opens them again, through Coolify's own docker-compose.custom.yml, which its
# upgrades keep using (coollabsio/coolify@v4.3.10:scripts/upgrade.sh:76-79, 284-288). Closing checks
# that no container publishes them on every address afterwards.
#
# Inputs (environment):
#   CLOSE_DIRECT_PORTS    true: bound to 127.0.0.1 | false: published as Coolify ships them
#   COMPOSE_OVERRIDE      the docker-compose.custom.yml that binds them to 127.0.0.1 (BRIDGE_GATEWAY
#                         stands for the address of Docker's default bridge on this host)
#   COOLIFY_VERSION       the installed release (the compose files name the image by it)
set -euo pipefail
SCRIPT_NAME=direct-ports
# shellcheck source=lib.sh
[[ $(type -t install_file) == function ]] || source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_env CLOSE_DIRECT_PORTS COMPOSE_OVERRIDE COOLIFY_VERSION
SOURCE=/data/coolify/source
CUSTOM=$SOURCE/docker-compose.custom.yml
MARKER="managed by hetzner-coolify"
DIRECT_PORTS="8000|6001|6002"

apply_compose() {
  local files=(-f docker-compose.yml -f docker-compose.prod.yml) optional
  # The same files as Coolify's upgrade, in its order (upgrade.sh:76-85).
  for optional in docker-compose.custom.yml docker-compose.postgres-upgrade.yml; do
    [[ -f "$ROOT$SOURCE/$optional" ]] && files+=(-f "$optional")
  done
  (cd "$ROOT$SOURCE" &&
    LATEST_IMAGE="$COOLIFY_VERSION" docker compose --env-file .env "${files[@]}" up -d --remove-orphans --wait \
      --wait-timeout 180 </dev/null) || fail "Coolify's containers did not come back healthy with the new port bindings"
  log "Coolify's containers recreated with the new port bindings"
}

if [[ -f "$ROOT$CUSTOM" ]] && ! grep -q "$MARKER" "$ROOT$CUSTOM"; then
  fail "$CUSTOM exists and is not ours; merge its port bindings by hand"
fi

case "$CLOSE_DIRECT_PORTS" in
  true)
    gateway=$(docker network inspect bridge --format '{{(index .IPAM.Config 0).Gateway}}') ||
      fail "could not read the address of Docker's default bridge"
    install_file 0644 "$CUSTOM" < <(printf '%s' "${COMPOSE_OVERRIDE//BRIDGE_GATEWAY/$gateway}")
    if changed "$CUSTOM"; then apply_compose; else log "direct ports already on 127.0.0.1"; fi
    published=$(docker ps --format '{{.Names}} {{.Ports}}' | grep -E "(0\.0\.0\.0|\[?::\]?):($DIRECT_PORTS)->" || true)
    [[ -z "$published" ]] || fail "still published on every address, the compose files may have changed: $published"
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
