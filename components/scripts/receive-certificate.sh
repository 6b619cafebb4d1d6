#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# On a worker, as the forced command of the main server's push key: takes a certificate chain and its
# private key on stdin, checks that they belong together, and installs them where the worker's proxy
# finds them; the proxy's dynamic configuration is rewritten when they change, so that Traefik, which
# watches that directory, loads them. Idempotent: the same certificate changes nothing.
set -euo pipefail
SCRIPT_NAME=receive-certificate
# shellcheck source=lib.sh
[[ $(type -t install_file) == function ]] || source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CERTIFICATES=/data/coolify/proxy/certs
DYNAMIC=/data/coolify/proxy/dynamic/wildcard-certificate.yaml
TEMPLATE=/etc/wildcard-certificate/traefik.yml

bundle=$(head -c 65536)
chain=$(awk '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/' <<<"$bundle")
key=$(awk '/-----BEGIN [A-Z ]*PRIVATE KEY-----/,/-----END [A-Z ]*PRIVATE KEY-----/' <<<"$bundle")
[[ -n "$chain" && -n "$key" ]] || fail "expected a certificate chain and its private key on stdin"
certificate_key=$(openssl x509 -noout -pubkey <<<"$chain" 2>/dev/null) || fail "the certificate does not parse"
private_key=$(openssl pkey -pubout <<<"$key" 2>/dev/null) || fail "the private key does not parse"
[[ "$certificate_key" == "$private_key" ]] || fail "the private key does not belong to the certificate"

install -d -m 0700 "$ROOT$CERTIFICATES"
install_file 0644 "$CERTIFICATES/wildcard.crt" < <(printf '%s\n' "$chain")
install_file 0600 "$CERTIFICATES/wildcard.key" < <(printf '%s\n' "$key")
fingerprint=$(openssl x509 -noout -fingerprint -sha256 <<<"$chain" | cut -d= -f2)
install -d "$ROOT$(dirname "$DYNAMIC")"
install_file 0644 "$DYNAMIC" < <(printf '# certificate %s\n' "$fingerprint"; cat "$ROOT$TEMPLATE")
if ((${#CHANGED_FILES[@]})); then
  log "installed the certificate $fingerprint"
else
  log "the certificate $fingerprint is installed already"
fi
