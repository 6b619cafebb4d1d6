#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2153  # inputs arrive in the environment
# On the main server: gets the wildcard certificate of the app names from Let's Encrypt with a DNS
# challenge through Cloudflare (lego), renews it in its last 30 days, and hands it to every worker over
# the private network with the push key, whose only use there is receive-certificate.sh. One certificate
# for all workers: the challenge does not depend on which worker a request reaches, and Let's Encrypt's
# limit of identical certificates per week does not grow with the workers.
#
# Environment (systemd reads it from /etc/hetzner-coolify/certificates.env; the Cloudflare token and the
# push key come as credentials):
#   DOMAINS        the names to cover, the wildcard first, e.g. "*.example.com example.com"
#   ACME_EMAIL     Let's Encrypt's account address (expiry notices)
#   WORKER_IPS     the workers' private addresses
# and /etc/hetzner-coolify/worker-known-hosts: each worker's host key, as `pulumi up` first met it.
#   LEGO_SERVER    default Let's Encrypt's production directory
set -euo pipefail
SCRIPT_NAME=certificates
# shellcheck source=lib.sh
[[ $(type -t install_file) == function ]] || source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_env DOMAINS ACME_EMAIL WORKER_IPS CREDENTIALS_DIRECTORY
STATE="$ROOT/var/lib/hetzner-coolify/certificates"
WORKER_KNOWN_HOSTS="$ROOT/etc/hetzner-coolify/worker-known-hosts"
LEGO_SERVER=${LEGO_SERVER:-https://acme-v02.api.letsencrypt.org/directory}
read -r -a domains <<<"$DOMAINS"
read -r -a workers <<<"$WORKER_IPS"
# lego reads the token from this file (_FILE suffix); a token with Zone:Read serves as its zone token too.
export CF_DNS_API_TOKEN_FILE="$CREDENTIALS_DIRECTORY/cloudflare-dns-api-token"

lego_options=(--accept-tos --email "$ACME_EMAIL" --server "$LEGO_SERVER" --dns cloudflare --path "$STATE/lego")
for domain in "${domains[@]}"; do lego_options+=(--domains "$domain"); done
# lego names the files after the first domain, with * as _.
certificate="$STATE/lego/certificates/${domains[0]//\*/_}"
mkdir -p "$STATE"
if [[ -f "$certificate.crt" ]]; then
  lego "${lego_options[@]}" renew --days 30 </dev/null
else
  lego "${lego_options[@]}" run </dev/null
fi

failed=()
for worker in "${workers[@]}"; do
  if cat "$certificate.crt" "$certificate.key" |
    ssh -i "$CREDENTIALS_DIRECTORY/certificate-push-key" -o BatchMode=yes -o IdentitiesOnly=yes \
      -o ConnectTimeout=10 -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$WORKER_KNOWN_HOSTS" \
      -o GlobalKnownHostsFile=/dev/null -o HostKeyAlgorithms=ssh-ed25519 \
      "root@$worker"; then
    log "worker $worker has the certificate"
  else
    failed+=("$worker")
  fi
done
((${#failed[@]} == 0)) || fail "could not hand the certificate to ${failed[*]}"
