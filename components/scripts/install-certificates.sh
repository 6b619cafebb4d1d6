#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2153  # inputs arrive in the environment
# On the main server: installs the wildcard certificate job (certificates.sh, lego from the distribution,
# its settings, its credentials, a daily timer) and runs it once, so that every worker's proxy has the
# certificate when this step ends. Idempotent: a second run changes no file.
#
# Inputs (environment):
#   CERTIFICATES_SCRIPT, CERTIFICATES_ENV, CERTIFICATES_SERVICE, CERTIFICATES_TIMER   the files to install
#   WORKER_KNOWN_HOSTS     the workers' host keys at their private addresses, which the job pins
#   CLOUDFLARE_DNS_API_TOKEN, CERTIFICATE_PUSH_KEY      sent as SSH environment; never printed
set -euo pipefail
SCRIPT_NAME=install-certificates
# shellcheck source=lib.sh
[[ $(type -t install_file) == function ]] || source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_env CERTIFICATES_SCRIPT CERTIFICATES_ENV CERTIFICATES_SERVICE CERTIFICATES_TIMER WORKER_KNOWN_HOSTS \
  CLOUDFLARE_DNS_API_TOKEN CERTIFICATE_PUSH_KEY
[[ "$(id -u)" == 0 ]] || fail "must run as root"
SERVICE=/etc/systemd/system/hetzner-coolify-certificates.service
TIMER=/etc/systemd/system/hetzner-coolify-certificates.timer
CREDENTIALS_DIR=/etc/hetzner-coolify/credentials

apt_install lego openssh-client
install_content 0755 /usr/local/sbin/hetzner-coolify-certificates CERTIFICATES_SCRIPT
install_content 0644 /etc/hetzner-coolify/certificates.env CERTIFICATES_ENV
install_content 0644 /etc/hetzner-coolify/worker-known-hosts WORKER_KNOWN_HOSTS
install -d -m 0700 "$ROOT$CREDENTIALS_DIR"
install_content 0600 "$CREDENTIALS_DIR/cloudflare-dns-api-token" CLOUDFLARE_DNS_API_TOKEN
install_content 0600 "$CREDENTIALS_DIR/certificate-push-key" CERTIFICATE_PUSH_KEY
install_content 0644 "$SERVICE" CERTIFICATES_SERVICE
install_content 0644 "$TIMER" CERTIFICATES_TIMER

arm_timer hetzner-coolify-certificates.timer "$SERVICE" "$TIMER"
# Once now: the certificate, or why not, before pulumi up ends.
run_oneshot hetzner-coolify-certificates.service ||
  fail "the wildcard certificate could not be issued or handed to every worker"
log "certificate job installed (${#CHANGED_FILES[@]} files changed)"
