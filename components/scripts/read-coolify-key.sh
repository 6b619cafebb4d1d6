#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Prints the public half of the key Coolify uses to reach servers as root, so that workers can
# authorize it. Prints nothing else on stdout: the step's output is that key.
set -euo pipefail
SCRIPT_NAME=read-coolify-key
# shellcheck source=lib.sh
[[ $(type -t install_file) == function ]] || source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KEY="$ROOT/data/coolify/ssh/keys/id.root@host.docker.internal"
[[ -f "$KEY" ]] || fail "Coolify's key $KEY does not exist; is Coolify installed?"
if [[ -f "$KEY.pub" ]]; then
  cut -d' ' -f1-2 "$KEY.pub"
else
  ssh-keygen -y -f "$KEY" | cut -d' ' -f1-2
fi
