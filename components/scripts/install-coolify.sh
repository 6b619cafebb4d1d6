#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2153  # inputs arrive in the environment
# Installs Coolify at a pinned version, unattended; on a host that already runs that version it
# does nothing, and on an older one the installer upgrades in place.
#
# Inputs (environment):
#   COOLIFY_VERSION      release to install, e.g. 4.3.19
#   ROOT_USERNAME, ROOT_USER_EMAIL, ROOT_USER_PASSWORD
#                        Coolify's first admin (sent as SSH environment; never printed)
#   INSTALLER_URL        default https://cdn.coollabs.io/coolify/install.sh
set -euo pipefail
SCRIPT_NAME=install-coolify
# shellcheck source=lib.sh
[[ $(type -t install_file) == function ]] || source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_env COOLIFY_VERSION ROOT_USERNAME ROOT_USER_EMAIL ROOT_USER_PASSWORD
INSTALLER_URL=${INSTALLER_URL:-https://cdn.coollabs.io/coolify/install.sh}
[[ "$COOLIFY_VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?$ ]] || fail "COOLIFY_VERSION '$COOLIFY_VERSION' is not pinned"

# Output of this step is stored in the Pulumi state: nothing it prints may carry the password.
redact() {
  local line
  while IFS= read -r line || [[ -n "$line" ]]; do
    printf '%s\n' "${line//"$ROOT_USER_PASSWORD"/[redacted]}"
  done
}

if command -v docker >/dev/null && [[ "$(running_coolify_version)" == "$COOLIFY_VERSION" ]]; then
  log "Coolify $COOLIFY_VERSION is already installed"
  exit 0
fi

installer=$(mktemp)
trap 'rm -f "$installer"' EXIT
curl -fsSL --retry 5 --retry-delay 5 "$INSTALLER_URL" -o "$installer" || fail "could not download $INSTALLER_URL"
log "installing Coolify $COOLIFY_VERSION (installer sha256 $(sha256sum "$installer" | cut -d' ' -f1))"

export ROOT_USERNAME ROOT_USER_EMAIL ROOT_USER_PASSWORD
export AUTOUPDATE=false
status=0
bash "$installer" "$COOLIFY_VERSION" 2>&1 | redact || status=$?
((status == 0)) || fail "the Coolify installer exited with $status; its log is /data/coolify/source/installation-*.log"
log "installer finished"
