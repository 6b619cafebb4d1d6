#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2153  # inputs arrive in the environment
# Authorizes one more public key for root (Coolify's, on a worker), keeping every key already there.
# Idempotent: a key already present is not added again.
#
# Inputs (environment):
#   AUTHORIZED_KEY   an OpenSSH public key line
set -euo pipefail
SCRIPT_NAME=authorize-key
# shellcheck source=lib.sh
[[ $(type -t install_file) == function ]] || source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_env AUTHORIZED_KEY
[[ "$AUTHORIZED_KEY" =~ ^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp[0-9]+)\ [A-Za-z0-9+/=]+ ]] || fail "AUTHORIZED_KEY is not a public key"
keys="$ROOT/root/.ssh/authorized_keys"
mkdir -p "$(dirname "$keys")"
chmod 0700 "$(dirname "$keys")"
touch "$keys"
chmod 0600 "$keys"
if grep -qF -- "$(cut -d' ' -f1-2 <<<"$AUTHORIZED_KEY")" "$keys"; then
  log "key already authorized"
else
  printf '%s\n' "$AUTHORIZED_KEY" >>"$keys"
  log "key authorized for root"
fi
