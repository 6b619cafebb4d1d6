#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2153  # inputs arrive in the environment
# Runs where `pulumi up` runs: waits until the server answers SSH with the deploy key, through the system
# ssh (as the Docker provider will connect), then until cloud-init has finished. Prints the server's
# ed25519 host key, and nothing else on stdout: the step's output is the key every later connection pins.
#
# First contact with a new server trusts the key it offers (this step is replaced with the server, so it
# has no recorded key then). Every later run pins the key this step printed before, which pulumi-command
# hands back as PULUMI_COMMAND_STDOUT (pulumi/pulumi-command@v1.2.1:provider/pkg/provider/local/
# commandOutputs.go:88-95,142), and refuses a server that offers another one.
#
# Inputs (environment):
#   SSH_HOST, SSH_USER     where to connect
#   SSH_PRIVATE_KEY        the deploy key (secret; written to a private temporary file)
#   SSH_PORT               default 22
#   ATTEMPTS, DELAY        connection attempts and seconds between them (default 30 x 10 s)
#   READY_COMMAND          run on the server once SSH answers (default: wait for cloud-init)
#   PULUMI_COMMAND_STDOUT  the host key recorded by the previous run, if any
set -euo pipefail
SCRIPT_NAME=wait-for-ssh
# shellcheck source=lib.sh
[[ $(type -t install_file) == function ]] || source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_env SSH_HOST SSH_USER SSH_PRIVATE_KEY
SSH_PORT=${SSH_PORT:-22}
ATTEMPTS=${ATTEMPTS:-30}
DELAY=${DELAY:-10}
READY_COMMAND=${READY_COMMAND:-"timeout 900 cloud-init status --wait >/dev/null || { cloud-init status --long; exit 1; }"}
RECORDED_HOST_KEY=${PULUMI_COMMAND_STDOUT:-}
# The name the key is filed under, whatever the address or port: the Docker provider's ssh uses it too.
HOST_KEY_ALIAS=hetzner-coolify-server
HOST_KEY_PATTERN='^ssh-ed25519 [A-Za-z0-9+/]+={0,2}$'

workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT
(umask 077 && printf '%s\n' "$SSH_PRIVATE_KEY" >"$workdir/key")

if [[ -n "$RECORDED_HOST_KEY" ]]; then
  [[ "$RECORDED_HOST_KEY" =~ $HOST_KEY_PATTERN ]] ||
    fail "the host key recorded for $SSH_HOST is not an ed25519 public key; replace this step to trust the server afresh"
  printf '%s %s\n' "$HOST_KEY_ALIAS" "$RECORDED_HOST_KEY" >"$workdir/known_hosts"
  host_key_checking=yes
else
  host_key_checking=accept-new
fi

# -n: this script arrives on stdin (`bash -s`), which ssh would otherwise read, and with it the rest of the
# script. ed25519 only, the one type every cloud image's sshd offers and the type the key is pinned as.
ssh_options=(
  -n -i "$workdir/key" -p "$SSH_PORT"
  -o BatchMode=yes -o IdentitiesOnly=yes -o ConnectTimeout=5
  -o HostKeyAlgorithms=ssh-ed25519 -o HostKeyAlias="$HOST_KEY_ALIAS" -o HashKnownHosts=no
  -o StrictHostKeyChecking="$host_key_checking" -o UserKnownHostsFile="$workdir/known_hosts"
  -o GlobalKnownHostsFile=/dev/null -o LogLevel=ERROR
)

attempt=1
until ssh "${ssh_options[@]}" "$SSH_USER@$SSH_HOST" true 2>"$workdir/last-error"; do
  # Not a server still booting: another machine answers at this address. Never worth a retry.
  if grep -q 'Host key verification failed' "$workdir/last-error"; then
    fail "$SSH_HOST:$SSH_PORT offers another host key than the one recorded at first contact ($RECORDED_HOST_KEY):" \
      "refusing to send it anything. If the server was rebuilt on purpose, replace this step" \
      "(pulumi up --replace <its URN>) to trust its new key"
  fi
  if ((attempt >= ATTEMPTS)); then
    fail "SSH on $SSH_HOST:$SSH_PORT did not answer after $ATTEMPTS attempts: $(tail -n 1 "$workdir/last-error")"
  fi
  log "SSH on $SSH_HOST:$SSH_PORT not ready (attempt $attempt of $ATTEMPTS); retrying in ${DELAY}s"
  attempt=$((attempt + 1))
  sleep "$DELAY"
done
if [[ "$host_key_checking" == yes ]]; then
  log "SSH answers on $SSH_HOST:$SSH_PORT with the host key recorded at first contact"
else
  log "SSH answers on $SSH_HOST:$SSH_PORT; first contact: its host key is recorded from now on"
fi

# READY_COMMAND is a shell command for the remote side on purpose.
# shellcheck disable=SC2029
ssh "${ssh_options[@]}" "$SSH_USER@$SSH_HOST" "$READY_COMMAND" >&2 ||
  fail "the server did not become ready: $READY_COMMAND failed"
log "server ready"

host_key=$(awk -v alias="$HOST_KEY_ALIAS" '$1 == alias && $2 == "ssh-ed25519" { print $2 " " $3; exit }' \
  "$workdir/known_hosts")
[[ "$host_key" =~ $HOST_KEY_PATTERN ]] || fail "$SSH_HOST:$SSH_PORT offered no ed25519 host key"
printf '%s\n' "$host_key"
