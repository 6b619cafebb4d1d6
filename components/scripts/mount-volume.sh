#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2153  # inputs arrive in the environment
# Mounts an attached Hetzner Volume (formatted ext4 by Hetzner) at a stable path, now and at every
# boot, and marks the volume itself, so that what keeps its data there can tell the volume from the
# empty directory of the root disk it leaves when it is missing at boot (`nofail`).
# Idempotent: an fstab line, a mount and the marker, each only when missing.
#
# Inputs (environment):
#   VOLUME_ID     the Hetzner Volume's id
#   MOUNT_POINT   where to mount it, e.g. /mnt/hetzner-coolify/postgres
#   MARKER        the marker's file name, at the volume's root
#   WAIT_SECONDS  how long to wait for the device after attaching (default 60)
set -euo pipefail
SCRIPT_NAME=mount-volume
# shellcheck source=lib.sh
[[ $(type -t install_file) == function ]] || source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_env VOLUME_ID MOUNT_POINT MARKER
[[ "$VOLUME_ID" =~ ^[0-9]+$ ]] || fail "VOLUME_ID '$VOLUME_ID' is not a volume id"
WAIT_SECONDS=${WAIT_SECONDS:-60}
device="/dev/disk/by-id/scsi-0HC_Volume_$VOLUME_ID"
entry="$device $MOUNT_POINT ext4 discard,nofail,defaults 0 0"

deadline=$((SECONDS + WAIT_SECONDS))
until [[ -e "$ROOT$device" ]]; do
  ((SECONDS < deadline)) || fail "volume $VOLUME_ID did not appear as $device within ${WAIT_SECONDS}s"
  sleep 1
done

touch "$ROOT/etc/fstab"
if ! grep -qxF "$entry" "$ROOT/etc/fstab"; then
  if awk -v mount_point="$MOUNT_POINT" '$2 == mount_point { found = 1 } END { exit !found }' "$ROOT/etc/fstab"; then
    fail "/etc/fstab already mounts something else at $MOUNT_POINT; fix it by hand"
  fi
  printf '%s\n' "$entry" >>"$ROOT/etc/fstab"
  log "added $MOUNT_POINT to /etc/fstab"
fi
mkdir -p "$ROOT$MOUNT_POINT"
if ! mountpoint -q "$ROOT$MOUNT_POINT"; then
  mount "$ROOT$MOUNT_POINT"
  log "mounted volume $VOLUME_ID at $MOUNT_POINT"
fi
# Only on the mounted volume, never on the directory beneath it.
mountpoint -q "$ROOT$MOUNT_POINT" || fail "$MOUNT_POINT is not a mount point after mounting volume $VOLUME_ID"
if [[ ! -f "$ROOT$MOUNT_POINT/$MARKER" ]]; then
  printf 'Hetzner Volume %s, mounted by hetzner-coolify\n' "$VOLUME_ID" >"$ROOT$MOUNT_POINT/$MARKER"
  log "marked volume $VOLUME_ID"
fi
