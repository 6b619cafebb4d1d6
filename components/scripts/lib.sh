#!/usr/bin/env bash
# Shared helpers of the server scripts. server_scripts.py sends this file ahead of every script
# on the same stdin; run from a checkout (tests), each script sources it from here.
#
# TARGET_ROOT prefixes every file path, so the scripts can converge a throwaway tree in tests.

ROOT="${TARGET_ROOT:-}"
CHANGED_FILES=()

log() {
  printf '[%s] %s\n' "${SCRIPT_NAME:-bootstrap}" "$*" >&2
}

fail() {
  log "error: $*"
  exit 1
}

# Require variables to be set and non-empty; names the first one missing.
require_env() {
  local name
  for name in "$@"; do
    [[ -n "${!name:-}" ]] || fail "$name is not set"
  done
}

# install_file MODE PATH < CONTENT: write stdin to PATH (under ROOT) only when it differs, atomically.
# Records PATH in CHANGED_FILES when it wrote; leaves the file untouched otherwise. Feed it with a
# redirection, not a pipe: a pipeline would run it in a subshell and lose the record.
install_file() {
  local mode=$1 path=$2 target="$ROOT$2" staged
  mkdir -p "$(dirname "$target")"
  staged=$(mktemp "$(dirname "$target")/.staged.XXXXXX")
  cat >"$staged"
  if [[ -f "$target" ]] && cmp -s "$staged" "$target"; then
    rm -f "$staged"
    if [[ "$(stat -c %a "$target")" != "${mode#0}" ]]; then
      chmod "$mode" "$target"
      CHANGED_FILES+=("$path")
    fi
    return 0
  fi
  chmod "$mode" "$staged"
  mv -f "$staged" "$target"
  CHANGED_FILES+=("$path")
  log "wrote $path"
}

# install_content MODE PATH VARIABLE: install_file with the content of VARIABLE (templates travel
# as shell-quoted variables of the command line).
install_content() {
  install_file "$1" "$2" < <(printf '%s' "${!3}")
}

changed() {
  local path
  for path in "${CHANGED_FILES[@]}"; do
    [[ "$path" == "$1" ]] && return 0
  done
  return 1
}

# apt_install PACKAGE...: install what is missing, nothing else.
apt_install() {
  local missing=() package
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
  done
  ((${#missing[@]} == 0)) && return 0
  log "installing ${missing[*]}"
  # Never a question: the scripts arrive on stdin (`bash -s`), where a prompt would read the rest of them.
  # Progress to the log: a step's stdout is its result (a key it prints), never apt's chatter.
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update -qq </dev/null >&2
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef \
    -o Dpkg::Options::=--force-confold install -y -qq --no-install-recommends "${missing[@]}" </dev/null >&2
}

# arm_timer TIMER SERVICE_FILE TIMER_FILE: after install_content of a oneshot service and its timer, the units
# reloaded when either file changed, and the timer enabled and running, restarted when its own file changed (its
# new schedule counts from then).
arm_timer() {
  local timer=$1 service_file=$2 timer_file=$3
  if changed "$service_file" || changed "$timer_file"; then
    systemctl daemon-reload
  fi
  systemctl is-enabled --quiet "$timer" || systemctl enable "$timer"
  if changed "$timer_file"; then
    systemctl restart "$timer"
  else
    systemctl is-active --quiet "$timer" || systemctl start "$timer"
  fi
}

# run_oneshot SERVICE: one run of a oneshot service now, as its timer would start it; when it fails, the last
# lines of its journal on stderr and a non-zero status. `systemctl start` waits for a oneshot service to finish
# and fails when it fails (systemctl(1) --no-block, systemd.service(5) Type=oneshot:
# https://www.freedesktop.org/software/systemd/man/latest/systemctl.html).
run_oneshot() {
  systemctl start "$1" && return 0
  journalctl --unit "$1" --lines 40 --no-pager --output cat >&2 || true
  return 1
}

# The version of the running Coolify, from its container's image tag; empty when there is none.
running_coolify_version() {
  local image
  image=$(docker inspect --format '{{.Config.Image}}' coolify 2>/dev/null) || return 0
  printf '%s\n' "${image##*:}"
}
