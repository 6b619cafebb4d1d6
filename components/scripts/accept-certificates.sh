#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2153  # inputs arrive in the environment
# On a worker: lets the main server hand over the app names' wildcard certificate, and has the worker's
# proxy serve it. The main server's push key is authorized for root, but restricted to running the
# receiver (a forced command, no forwarding, no terminal); Traefik reads the certificate through its file
# provider, whose directory Coolify configures on every proxy (coollabsio/coolify@v4.3.10:
# bootstrap/helpers/proxy.php:316-317, 333). Idempotent: a second run changes nothing.
#
# Inputs (environment):
#   PUSH_KEY          the main server's push key (ssh-ed25519 public key)
#   RECEIVER          the receiver the key may run (receive-certificate.sh)
#   TRAEFIK_CONFIG    Traefik's dynamic configuration naming the certificate files
set -euo pipefail
SCRIPT_NAME=accept-certificates
# shellcheck source=lib.sh
[[ $(type -t install_file) == function ]] || source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_env PUSH_KEY RECEIVER TRAEFIK_CONFIG
[[ "$PUSH_KEY" =~ ^ssh-ed25519\ [A-Za-z0-9+/]+=*$ ]] || fail "PUSH_KEY is not an ssh-ed25519 public key"
[[ "$(id -u)" == 0 ]] || fail "must run as root"
RECEIVER_PATH=/usr/local/sbin/receive-wildcard-certificate
# A line of root's authorized_keys; neither it nor the paths it names contain the word Coolify's installer
# deletes lines for (see harden-host.sh).
AUTHORIZATION="restrict,command=\"$RECEIVER_PATH\" $PUSH_KEY"

install_content 0755 "$RECEIVER_PATH" RECEIVER
install_content 0644 /etc/wildcard-certificate/traefik.yml TRAEFIK_CONFIG
keys="$ROOT/root/.ssh/authorized_keys"
install -d -m 0700 "$(dirname "$keys")"
[[ -f "$keys" ]] || install -m 0600 /dev/null "$keys"
install_file 0600 /root/.ssh/authorized_keys < <(
  grep -vF "command=\"$RECEIVER_PATH\"" "$keys" || true
  printf '%s\n' "$AUTHORIZATION"
)
log "the main server may hand over the wildcard certificate (${#CHANGED_FILES[@]} files changed)"
