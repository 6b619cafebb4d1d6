#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2153  # inputs arrive in the environment
# Runs where `pulumi up` runs: waits until the new server answers SSH with the deploy key, through
# the system ssh (as the Docker provider will connect), then until cloud-init has finished.
#
# Inputs (environment):
#   SSH_HOST, SSH_USER     where to connect
#   SSH_PRIVATE_KEY        the deploy key (secret; written to a private temporary file)
#   SSH_PORT               default 22
#   ATTEMPTS, DELAY        connection attempts and seconds between them (default 30 x 10 s)
#   READY_COMMAND          run on the server once SSH answers (default: wait for cloud-init)
set -euo pipefail
SCRIPT_NAME=wait-for-ssh
# shellcheck source=lib.sh
[[ $(type -t install_file) == function ]] || source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_env SSH_HOST SSH_USER SSH_PRIVATE_KEY
SSH_PORT=${SSH_PORT:-22}
ATTEMPTS=${ATTEMPTS:-30}
DELAY=${DELAY:-10}
READY_COMMAND=${READY_COMMAND:-"timeout 900 cloud-init status --wait >/dev/null || { cloud-init status --long; exit 1; }"}

workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT
(umask 077 && printf '%s\n' "$SSH_PRIVATE_KEY" >"$workdir/key")

# A new server has a new host key: trust it on first use, in a file of this run only. -n: this script
# arrives on stdin (`bash -s`), which ssh would otherwise read, and with it the rest of the script.
ssh_options=(
  -n -i "$workdir/key" -p "$SSH_PORT"
  -o BatchMode=yes -o IdentitiesOnly=yes -o ConnectTimeout=5
  -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile="$workdir/known_hosts"
  -o LogLevel=ERROR
)

attempt=1
until ssh "${ssh_options[@]}" "$SSH_USER@$SSH_HOST" true 2>"$workdir/last-error"; do
  if ((attempt >= ATTEMPTS)); then
    fail "SSH on $SSH_HOST:$SSH_PORT did not answer after $ATTEMPTS attempts: $(tail -n 1 "$workdir/last-error")"
  fi
  log "SSH on $SSH_HOST:$SSH_PORT not ready (attempt $attempt of $ATTEMPTS); retrying in ${DELAY}s"
  attempt=$((attempt + 1))
  sleep "$DELAY"
done
log "SSH answers on $SSH_HOST:$SSH_PORT"

# READY_COMMAND is a shell command for the remote side on purpose.
# shellcheck disable=SC2029
ssh "${ssh_options[@]}" "$SSH_USER@$SSH_HOST" "$READY_COMMAND" || fail "the server did not become ready: $READY_COMMAND failed"
log "server ready"
