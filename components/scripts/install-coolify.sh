#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2153  # inputs arrive in the environment
# Installs Coolify at a pinned version, unattended; on a host that already runs that version it does
# nothing, on an older one the installer upgrades in place, and a newer one is refused.
#
# Inputs (environment):
#   COOLIFY_VERSION      release to install, e.g. 4.7.7
#   DOCKER_ADDRESS_POOL_BASE, DOCKER_ADDRESS_POOL_SIZE
#                        where Docker takes its networks from, Coolify's among them; read by the installer
#                        on a first install (coollabsio/coolify@v4.3.10:scripts/install.sh:59-73, 142-171)
#   ROOT_USERNAME, ROOT_USER_EMAIL, ROOT_USER_PASSWORD
#                        Coolify's first admin (sent as SSH environment; never printed), handed to the
#                        installer on a first install only: it never changes them afterwards (install.sh:827-840)
#   INSTALLER_URL        default https://cdn.coollabs.io/coolify/install.sh
set -euo pipefail
SCRIPT_NAME=install-coolify
# shellcheck source=lib.sh
[[ $(type -t install_file) == function ]] || source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_env COOLIFY_VERSION DOCKER_ADDRESS_POOL_BASE DOCKER_ADDRESS_POOL_SIZE ROOT_USERNAME ROOT_USER_EMAIL \
  ROOT_USER_PASSWORD
INSTALLER_URL=${INSTALLER_URL:-https://cdn.coollabs.io/coolify/install.sh}
[[ "$COOLIFY_VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?$ ]] || fail "COOLIFY_VERSION '$COOLIFY_VERSION' is not pinned"

# Output of this step is stored in the Pulumi state: nothing it prints may carry the password.
redact() {
  local line
  while IFS= read -r line || [[ -n "$line" ]]; do
    printf '%s\n' "${line//"$ROOT_USER_PASSWORD"/[redacted]}"
  done
}

running=""
command -v docker >/dev/null && running=$(running_coolify_version)
if [[ "$running" == "$COOLIFY_VERSION" ]]; then
  log "Coolify $COOLIFY_VERSION is already installed"
  exit 0
fi
# The installer pulls whatever version it is given, older ones too, and the database keeps the newer
# version's migrations (it never compares versions: install.sh, upgrade.sh).
if [[ -n "$running" && "$(printf '%s\n%s\n' "$running" "$COOLIFY_VERSION" | sort -V | tail -n 1)" != "$COOLIFY_VERSION" ]]; then
  fail "Coolify $running runs here, newer than the pinned $COOLIFY_VERSION, which its installer would downgrade it to; pin $running or newer (coolify.version)"
fi

installer=$(mktemp)
trap 'rm -f "$installer"' EXIT
curl -fsSL --retry 5 --retry-delay 5 "$INSTALLER_URL" -o "$installer" || fail "could not download $INSTALLER_URL"
log "installing Coolify $COOLIFY_VERSION (installer sha256 $(sha256sum "$installer" | cut -d' ' -f1))"

export AUTOUPDATE=false DOCKER_ADDRESS_POOL_BASE DOCKER_ADDRESS_POOL_SIZE ROOT_USERNAME ROOT_USER_EMAIL ROOT_USER_PASSWORD
first_admin=()
[[ -z "$running" ]] || first_admin=(-u ROOT_USERNAME -u ROOT_USER_EMAIL -u ROOT_USER_PASSWORD)
status=0
# Its stdin is not ours: this script arrives on it (`bash -s`).
env "${first_admin[@]}" bash "$installer" "$COOLIFY_VERSION" </dev/null 2>&1 | redact || status=$?
if ((status != 0)); then
  # The installer gives up after its own waits (install.sh:936-1007) while the upgrade goes on in the
  # background: with the pinned container running, wait-for-coolify.sh decides.
  [[ "$(running_coolify_version)" == "$COOLIFY_VERSION" ]] ||
    fail "the Coolify installer exited with $status; its log is /data/coolify/source/installation-*.log"
  log "the installer exited with $status, but Coolify $COOLIFY_VERSION runs: waiting for it decides"
fi
log "installer finished"
