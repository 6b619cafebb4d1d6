#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Prints the public half of the key Coolify uses to reach servers as root (its "localhost's key", id 0),
# so that workers can authorize it. Prints nothing else on stdout: the step's output is that key.
#
# Coolify keeps its keys as /data/coolify/ssh/keys/ssh_key@<uuid>, written anew from its database at every
# start; the installer's id.root@host.docker.internal does not survive the first one
# (coollabsio/coolify@v4.3.10:database/seeders/ProductionSeeder.php:86-101,
# database/seeders/PopulateSshKeysDirectorySeeder.php:15-22, app/Models/PrivateKey.php:204-206). Failing
# that, the key the installer authorized for root, whose comment is "coolify" (scripts/install.sh:905-908).
set -euo pipefail
SCRIPT_NAME=read-coolify-key
# shellcheck source=lib.sh
[[ $(type -t install_file) == function ]] || source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KEYS="$ROOT/data/coolify/ssh/keys"
uuid=$(docker exec coolify-db psql -U coolify -d coolify -tAc "select uuid from private_keys where id = 0" 2>/dev/null) ||
  uuid=""
if [[ "$uuid" =~ ^[A-Za-z0-9-]+$ && -f "$KEYS/ssh_key@$uuid" ]]; then
  ssh-keygen -y -f "$KEYS/ssh_key@$uuid" | cut -d' ' -f1-2
  exit 0
fi
authorized=$(awk '$1 ~ /^ssh-/ && $3 == "coolify" { print $1 " " $2; exit }' "$ROOT/root/.ssh/authorized_keys" 2>/dev/null) ||
  authorized=""
[[ -n "$authorized" ]] || fail "found neither Coolify's key in $KEYS nor the key its installer authorized for root; is Coolify installed?"
log "Coolify's database names no key file; using the key its installer authorized for root"
printf '%s\n' "$authorized"
