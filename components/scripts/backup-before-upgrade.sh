#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2153  # inputs arrive in the environment
# Runs before Coolify is installed or upgraded and before the app's Postgres container is replaced: when either is
# about to change what runs on this server, one backup must run and succeed first, so that a failed migration of
# Coolify's or the app's data can be undone from a set made minutes before it. Nothing changes, nothing runs: a
# first install (no Coolify yet, no data), a replaced server, and an unchanged stack pass without a backup.
#
# Inputs (environment):
#   COOLIFY_VERSION                       the version install-coolify.sh is about to install
#   POSTGRES_CONTAINER, POSTGRES_IMAGE    the app's database container and the image it is about to run ('' when
#                                         the stack runs no Postgres)
set -euo pipefail
SCRIPT_NAME=backup-before-upgrade
# shellcheck source=lib.sh
[[ $(type -t install_file) == function ]] || source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_env COOLIFY_VERSION
UNIT=hetzner-coolify-backup.service
changes=()

if command -v docker >/dev/null; then
  # A daemon that does not answer hides what runs: never taken for "nothing installed".
  docker info >/dev/null 2>&1 || fail "Docker does not answer here (docker info): cannot tell what the upgrade changes"
  running=$(running_coolify_version)
  if [[ -n "$running" && "$running" != "$COOLIFY_VERSION" ]]; then
    changes+=("Coolify $running -> $COOLIFY_VERSION")
  elif [[ -z "$running" && -f "$ROOT/data/coolify/source/.env" ]]; then
    # Installed before, its container gone: the installer runs again over Coolify's data.
    changes+=("Coolify (installed, not running) -> $COOLIFY_VERSION")
  fi
  if [[ -n "${POSTGRES_IMAGE:-}" ]]; then
    # The container runs an image by id (components/data_services.py); the image asked for is new when no local
    # image has that name yet, or when the name now points at another id.
    current=$(docker inspect --format '{{.Image}}' "$POSTGRES_CONTAINER" 2>/dev/null || true)
    wanted=$(docker image inspect --format '{{.Id}}' "$POSTGRES_IMAGE" 2>/dev/null || true)
    if [[ -n "$current" && "$current" != "$wanted" ]]; then
      changes+=("$POSTGRES_CONTAINER -> $POSTGRES_IMAGE")
    fi
  fi
fi
if ((${#changes[@]} == 0)); then
  log "nothing that holds data is about to change (Coolify ${running:-not installed}): no backup needed"
  exit 0
fi

summary=$(printf '%s; ' "${changes[@]}")
summary=${summary%; }
systemctl cat "$UNIT" >/dev/null 2>&1 ||
  fail "about to upgrade ($summary), but this server has no backup job to run first; install it with a" \
    "\`pulumi up\` that changes neither coolify.version nor postgres.image, then upgrade"
log "backing up before the upgrade: $summary"
run_oneshot "$UNIT" ||
  fail "the backup before the upgrade failed (above; journalctl -u $UNIT): nothing was upgraded; fix the backup" \
    "and run \`pulumi up\` again"
log "backed up; the upgrade may go ahead"
