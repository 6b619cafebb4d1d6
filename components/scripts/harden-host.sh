#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Hardens a fresh Ubuntu/Debian host. Idempotent: a second run changes nothing.
#
# Inputs (environment):
#   ADMIN_USER         non-root login with sudo, keys only
#   ADMIN_KEYS         its authorized_keys
#   ROOT_KEYS          the keys this stack manages for root: the admin keys and the deploy key,
#                      without comments
#   SSHD_CONFIG        sshd drop-in (keys only, root prohibit-password)
#   FAIL2BAN_JAIL      fail2ban jail for sshd
#   AUTO_UPGRADES      apt periodic settings for unattended security upgrades
set -euo pipefail
SCRIPT_NAME=harden-host
# shellcheck source=lib.sh
[[ $(type -t install_file) == function ]] || source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SSHD_DROP_IN=/etc/ssh/sshd_config.d/10-hetzner-coolify.conf
# Markers of the managed block; plain words, as they are also sed patterns. Coolify's installer deletes
# every line of root's authorized_keys that contains "coolify" (coollabsio/coolify@v4.3.10:scripts/install.sh:907),
# so neither the markers nor the keys between them may: keys go in without their comments.
BLOCK_BEGIN="# BEGIN root keys managed by Pulumi, edits here are overwritten"
BLOCK_END="# END root keys managed by Pulumi"
# The markers of hosts hardened before, which Coolify's installer deleted; a block they still enclose is replaced.
EARLIER_BLOCK_BEGIN="# BEGIN keys managed by hetzner-coolify, edits here are overwritten"
EARLIER_BLOCK_END="# END keys managed by hetzner-coolify"

require_env ADMIN_USER ADMIN_KEYS ROOT_KEYS SSHD_CONFIG FAIL2BAN_JAIL AUTO_UPGRADES
[[ "$(id -u)" == 0 ]] || fail "must run as root"
[[ "$ADMIN_USER" =~ ^[a-z_][a-z0-9_-]{0,31}$ ]] || fail "ADMIN_USER '$ADMIN_USER' is not a valid user name"

# fail2ban bans through nftables; Debian recommends a firewall tool but does not depend on one, and without
# it fail2ban logs "Ban" and blocks nothing.
apt_install fail2ban python3-systemd nftables unattended-upgrades

harden_sshd() {
  local backup=""
  if [[ -f "$ROOT$SSHD_DROP_IN" ]]; then
    backup=$(mktemp)
    cp -p "$ROOT$SSHD_DROP_IN" "$backup"
  fi
  install_content 0644 "$SSHD_DROP_IN" SSHD_CONFIG
  if changed "$SSHD_DROP_IN"; then
    # Never reload an sshd that would refuse to start: that is how hosts get locked out.
    if ! sshd -t; then
      if [[ -n "$backup" ]]; then cp -p "$backup" "$ROOT$SSHD_DROP_IN"; else rm -f "$ROOT$SSHD_DROP_IN"; fi
      fail "the new sshd configuration does not validate; the previous one is kept"
    fi
    systemctl try-reload-or-restart ssh.service
    log "sshd reloaded"
  fi
  [[ -z "$backup" ]] || rm -f "$backup"
}

enable_fail2ban() {
  install_content 0644 /etc/fail2ban/jail.d/sshd.local FAIL2BAN_JAIL
  systemctl is-enabled --quiet fail2ban || systemctl enable --now fail2ban
  if changed /etc/fail2ban/jail.d/sshd.local; then
    # A restart, not a reload: a reload that changes the ban action leaves the jail with no action at all
    # (fail2ban 1.1.0, Debian 13), and bans then block nothing. Bans survive a restart (fail2ban's database).
    systemctl restart fail2ban
  fi
}

create_admin_user() {
  local home
  if ! getent passwd "$ADMIN_USER" >/dev/null; then
    useradd --create-home --shell /bin/bash "$ADMIN_USER"
    log "created user $ADMIN_USER"
  fi
  home=$(getent passwd "$ADMIN_USER" | cut -d: -f6)
  install_content 0600 "$home/.ssh/authorized_keys" ADMIN_KEYS
  if changed "$home/.ssh/authorized_keys"; then
    chmod 0700 "$ROOT$home/.ssh"
    chown -R "$ADMIN_USER:$ADMIN_USER" "$ROOT$home/.ssh"
  fi
  # Keys only: the user has no password, so sudo must not ask for one.
  local sudoers_staged
  sudoers_staged=$(mktemp)
  printf '%s ALL=(ALL) NOPASSWD:ALL\n' "$ADMIN_USER" >"$sudoers_staged"
  visudo -cf "$sudoers_staged" >/dev/null || fail "the sudoers entry for $ADMIN_USER does not validate"
  install_file 0440 "/etc/sudoers.d/90-$ADMIN_USER" <"$sudoers_staged"
  rm -f "$sudoers_staged"
}

# Root's keys: the stack's own in a marked block, rewritten from ROOT_KEYS where it stands (or appended);
# every other line (Coolify's key) is kept, except copies of keys the block manages now or managed before
# (Hetzner put the admin keys there at creation), so that a key removed from the stack loses root access too.
# Keys are compared by type and material, whatever their comments.
manage_root_keys() {
  local file="$ROOT/root/.ssh/authorized_keys"
  install -d -m 0700 "$(dirname "$file")"
  [[ -f "$file" ]] || install -m 0600 /dev/null "$file"
  install_file 0600 /root/.ssh/authorized_keys < <(
    BLOCK_BEGIN="$BLOCK_BEGIN" BLOCK_END="$BLOCK_END" EARLIER_BLOCK_BEGIN="$EARLIER_BLOCK_BEGIN" \
      EARLIER_BLOCK_END="$EARLIER_BLOCK_END" awk '
      function opens(line) { return line == ENVIRON["BLOCK_BEGIN"] || line == ENVIRON["EARLIER_BLOCK_BEGIN"] }
      function closes(line) { return line == ENVIRON["BLOCK_END"] || line == ENVIRON["EARLIER_BLOCK_END"] }
      function block() { printf "%s\n%s%s\n", ENVIRON["BLOCK_BEGIN"], ENVIRON["ROOT_KEYS"], ENVIRON["BLOCK_END"]; written = 1 }
      BEGIN {
        n = split(ENVIRON["ROOT_KEYS"], wanted, "\n")
        for (i = 1; i <= n; i++) if (split(wanted[i], field, " ") >= 2) managed[field[1] " " field[2]] = 1
      }
      FNR == NR {  # first reading: what the block managed before
        if (opens($0)) inside = 1; else if (closes($0)) inside = 0; else if (inside && !/^#/ && NF >= 2) managed[$1 " " $2] = 1
        next
      }
      opens($0) { if (!written) block(); skipping = 1; next }
      skipping { if (closes($0)) skipping = 0; next }
      !/^#/ && NF >= 2 && (($1 " " $2) in managed) { next }
      { print }
      END { if (!written) block() }' "$file" "$file"
  )
}

harden_sshd
enable_fail2ban
manage_root_keys
install_content 0644 /etc/apt/apt.conf.d/20auto-upgrades AUTO_UPGRADES
create_admin_user
log "host hardened (${#CHANGED_FILES[@]} files changed)"
