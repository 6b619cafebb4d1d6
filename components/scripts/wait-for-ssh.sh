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
# A rotation of the deploy key (rotation.deployKey) changes the key before any server has it. Given the
# previous key, a server that refuses the deploy key and accepts the previous one (same pinned host key)
# gets the deploy key's public half added to root's keys through the previous key: this handover runs
# before every other step on the server, as they all pin the host key this step prints. The hardening
# then rewrites root's keys to the stack's set, which keeps the previous key until the next rotation.
#
# Inputs (environment):
#   SSH_HOST, SSH_USER     where to connect
#   SSH_PRIVATE_KEY        the deploy key (secret; written to a private temporary file)
#   SSH_PREVIOUS_PRIVATE_KEY  the deploy key before the last rotation, if any (secret)
#   AUTHORIZED_KEYS_FILE   where the handover adds the deploy key on the server (default: .ssh/authorized_keys
#                          in the login's home, where Hetzner and the hardening keep root's keys)
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
SSH_PREVIOUS_PRIVATE_KEY=${SSH_PREVIOUS_PRIVATE_KEY:-}
AUTHORIZED_KEYS_FILE=${AUTHORIZED_KEYS_FILE:-.ssh/authorized_keys}
# The name the key is filed under, whatever the address or port: the Docker provider's ssh uses it too.
HOST_KEY_ALIAS=hetzner-coolify-server
HOST_KEY_PATTERN='^ssh-ed25519 [A-Za-z0-9+/]+={0,2}$'

workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT
(umask 077 && printf '%s\n' "$SSH_PRIVATE_KEY" >"$workdir/key")
if [[ -n "$SSH_PREVIOUS_PRIVATE_KEY" ]]; then
  (umask 077 && printf '%s\n' "$SSH_PREVIOUS_PRIVATE_KEY" >"$workdir/previous-key")
fi

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
# The identity comes with each call (-i): the deploy key, or the previous one for the handover.
ssh_options=(
  -n -p "$SSH_PORT"
  -o BatchMode=yes -o IdentitiesOnly=yes -o ConnectTimeout=5
  -o HostKeyAlgorithms=ssh-ed25519 -o HostKeyAlias="$HOST_KEY_ALIAS" -o HashKnownHosts=no
  -o StrictHostKeyChecking="$host_key_checking" -o UserKnownHostsFile="$workdir/known_hosts"
  -o GlobalKnownHostsFile=/dev/null -o LogLevel=ERROR
)

refuse_other_host_key() {
  # Not a server still booting: another machine answers at this address. Never worth a retry.
  if grep -q 'Host key verification failed' "$workdir/last-error"; then
    fail "$SSH_HOST:$SSH_PORT offers another host key than the one recorded at first contact ($RECORDED_HOST_KEY):" \
      "refusing to send it anything. If the server was rebuilt on purpose, replace this step" \
      "(pulumi up --replace <its URN>) to trust its new key"
  fi
}

# Through the previous key: add the deploy key's type and material (no comment, as the hardening writes root's
# keys) unless that line is there already. Both are base64 and a key type: nothing in them needs quoting.
hand_over() {
  local deploy_public_key
  deploy_public_key=$(ssh-keygen -y -f "$workdir/key" | cut -d' ' -f1-2)
  # The command is for the remote side on purpose.
  # shellcheck disable=SC2029
  ssh "${ssh_options[@]}" -i "$workdir/previous-key" "$SSH_USER@$SSH_HOST" \
    "umask 077 && mkdir -p \"\$(dirname '$AUTHORIZED_KEYS_FILE')\" && touch '$AUTHORIZED_KEYS_FILE' &&
      { grep -qxF '$deploy_public_key' '$AUTHORIZED_KEYS_FILE' || printf '%s\\n' '$deploy_public_key' >>'$AUTHORIZED_KEYS_FILE'; }" \
    2>"$workdir/last-error"
}

attempt=1
handed_over=no
until ssh "${ssh_options[@]}" -i "$workdir/key" "$SSH_USER@$SSH_HOST" true 2>"$workdir/last-error"; do
  refuse_other_host_key
  # Once only: a server that still refuses the deploy key it was given is retried as any other.
  if [[ -n "$SSH_PREVIOUS_PRIVATE_KEY" && "$handed_over" == no ]] && grep -q 'Permission denied' "$workdir/last-error"; then
    if hand_over; then
      handed_over=yes
      log "$SSH_USER@$SSH_HOST refused the deploy key and accepted the previous one: the deploy key is authorized" \
        "now, through the previous key"
      continue
    fi
    refuse_other_host_key
    # A server met before (its host key recorded) that refuses both keys will not change its mind, and every
    # refusal lengthens sshd's penalty for this address (PerSourcePenalties authfail:5, min:15:
    # openssh/openssh-portable@V_10_0_P1:servconf.c:442-451): fail at once. A new server may still be booting.
    if grep -q 'Permission denied' "$workdir/last-error" && { [[ "$host_key_checking" == yes ]] || ((attempt >= ATTEMPTS)); }; then
      fail "$SSH_USER@$SSH_HOST:$SSH_PORT refuses both the deploy key and the previous one:" \
        "rotation.deployKey goes up by one per \`pulumi up\`, and that up must have finished before the next" \
        "raise; or the server's root keys were changed outside this stack"
    fi
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
ssh "${ssh_options[@]}" -i "$workdir/key" "$SSH_USER@$SSH_HOST" "$READY_COMMAND" >&2 ||
  fail "the server did not become ready: $READY_COMMAND failed"
log "server ready"

host_key=$(awk -v alias="$HOST_KEY_ALIAS" '$1 == alias && $2 == "ssh-ed25519" { print $2 " " $3; exit }' \
  "$workdir/known_hosts")
[[ "$host_key" =~ $HOST_KEY_PATTERN ]] || fail "$SSH_HOST:$SSH_PORT offered no ed25519 host key"
printf '%s\n' "$host_key"
