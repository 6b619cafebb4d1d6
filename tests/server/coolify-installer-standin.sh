#!/usr/bin/env bash
# Stands in for Coolify's installer on the booted test machine (its CDN and images are unreachable):
# only what later steps of the stack use. Each part says what of the installer it plays, as read in
# coollabsio/coolify@v4.3.10:scripts/install.sh (and upgrade.sh).
#
# Inputs (environment): DOCKER_PACKAGES, Debian's Docker (the installer takes Docker CE from
# get.docker.com, install.sh:503); stdin: the .env the installer generates (install.sh:819-848).
set -euo pipefail

KEY=/data/coolify/ssh/keys/id.root@host.docker.internal

read -r -a packages <<<"$DOCKER_PACKAGES"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
# The network every app joins (upgrade.sh:160-171).
docker network inspect coolify >/dev/null 2>&1 || docker network create --attachable coolify >/dev/null
install -d -m 0700 /data/coolify/source /data/coolify/ssh/keys
install -m 0600 /dev/stdin /data/coolify/source/.env
# Coolify's key for its own host, and what a first install does to root's keys (install.sh:898-909).
if [[ ! -f "$KEY" ]]; then
  ssh-keygen -q -t ed25519 -a 100 -N '' -C coolify -f "$KEY"
  sed -i "/coolify/d" /root/.ssh/authorized_keys
  cat "$KEY.pub" >>/root/.ssh/authorized_keys
  rm -f "$KEY.pub"
fi
