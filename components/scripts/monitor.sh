#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2153  # inputs arrive in the environment
# The server's monitor, one pass (hetzner-coolify-monitor.service, started by its timer): checks disk, memory,
# CPU, the watched containers, the newest successful backup and the dashboard's TLS certificate; keeps each
# check's state (ok or alert) under MONITOR_STATE_DIR and tells the webhook only about changes: ok -> alert sends
# "alert", alert -> ok sends "resolved", nothing changed sends nothing. A change the webhook did not take is not
# recorded, so the next pass sends it again: an alert is never lost. Without a webhook, changes reach the
# journal only. A webhook URL not seen before gets one "test" message first, and must take it, as a new heartbeat
# URL must take its first ping: a wrong URL fails the install's proving pass. After every pass, the heartbeat URL is
# pinged (healthchecks-style GET; <url>/fail when an alert could not be delivered): a dead server stops pinging, and
# an external dead-man's switch notices.
#
# Why a script and not an agent from Debian's archive: monit alerts by mail only, anything else through `exec`
# scripts that run on failure but not on recovery unless each check gets an `else if succeeded` twin
# (https://bitbucket.org/tildeslash/monit/issues/791, https://bitbucket.org/tildeslash/monit/issues/416);
# prometheus-node-exporter only exposes metrics and needs a Prometheus and an Alertmanager to alert; netdata is a
# large daemon with a dashboard of its own and sends anonymous statistics by default
# (https://learn.netdata.cloud/docs/agent/netdata-security, "Anonymous telemetry events"). Seven checks, state
# changes and a POST are a short script with nothing listening and nothing phoning home.
#
# Environment (systemd reads it from /etc/hetzner-coolify/monitor.env):
#   MONITOR_STACK                 the stack's name, in every alert
#   MONITOR_FORMAT                json | slack | ntfy: the body of a POST to the webhook
#   MONITOR_CPU_PERCENT, MONITOR_MEMORY_PERCENT, MONITOR_DISK_PERCENT   alert above these
#   MONITOR_BACKUP_MAX_AGE_HOURS  alert when the newest successful backup is older
#   MONITOR_BACKUP_STAMP          file whose mtime is that backup's end ('' when backups are off)
#   MONITOR_CERTIFICATE_MIN_DAYS  alert when the dashboard's certificate expires sooner
#   MONITOR_DASHBOARD_HOSTNAME    the name the certificate is asked for (SNI; '' skips the check)
#   MONITOR_CONTAINERS            names of the watched containers, separated by spaces
#   MONITOR_PEERS                 servers this one watches, name=address separated by spaces (the main server: its
#                                 workers on the private network)
#   MONITOR_TLS_ADDRESS           where the dashboard is served (default 127.0.0.1:443)
#   MONITOR_STATE_DIR             default /var/lib/hetzner-coolify/monitor
#   MONITOR_PROC                  default /proc (tests point it at a fake one)
#   MONITOR_CPU_SAMPLE_SECONDS    first pass only: how long CPU use is sampled (default 5)
# The webhook's and the heartbeat's URLs are secrets: credentials monitor_webhook-url and monitor_heartbeat-url
# under systemd (LoadCredential= of a directory), MONITOR_WEBHOOK_URL and MONITOR_HEARTBEAT_URL elsewhere. They
# reach curl on its standard input, never on its command line, where any user could read them (ps).
set -euo pipefail
SCRIPT_NAME=monitor
# shellcheck source=lib.sh
[[ $(type -t install_file) == function ]] || source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
umask 077

MONITOR_STATE_DIR=${MONITOR_STATE_DIR:-/var/lib/hetzner-coolify/monitor}
MONITOR_PROC=${MONITOR_PROC:-/proc}
MONITOR_TLS_ADDRESS=${MONITOR_TLS_ADDRESS:-127.0.0.1:443}
MONITOR_CPU_SAMPLE_SECONDS=${MONITOR_CPU_SAMPLE_SECONDS:-5}
MONITOR_BACKUP_STAMP=${MONITOR_BACKUP_STAMP:-}
MONITOR_DASHBOARD_HOSTNAME=${MONITOR_DASHBOARD_HOSTNAME:-}
MONITOR_CONTAINERS=${MONITOR_CONTAINERS:-}
MONITOR_PEERS=${MONITOR_PEERS:-}
# File systems that hold no data of their own: memory, container layers, read-only images.
PSEUDO_FILE_SYSTEMS=(tmpfs devtmpfs ramfs overlay squashfs efivarfs)
SERVER=$(hostname)
UNDELIVERED=0

require_env MONITOR_STACK MONITOR_FORMAT MONITOR_CPU_PERCENT MONITOR_MEMORY_PERCENT MONITOR_DISK_PERCENT \
  MONITOR_BACKUP_MAX_AGE_HOURS MONITOR_CERTIFICATE_MIN_DAYS
[[ "$MONITOR_FORMAT" =~ ^(json|slack|ntfy)$ ]] || fail "MONITOR_FORMAT must be json, slack or ntfy, not '$MONITOR_FORMAT'"
# Numbers, never expressions: bash arithmetic would evaluate one.
for name in MONITOR_CPU_PERCENT MONITOR_MEMORY_PERCENT MONITOR_DISK_PERCENT MONITOR_BACKUP_MAX_AGE_HOURS \
  MONITOR_CERTIFICATE_MIN_DAYS MONITOR_CPU_SAMPLE_SECONDS; do
  [[ "${!name}" =~ ^[0-9]{1,6}$ ]] || fail "$name must be a whole number, not '${!name}'"
done

for peer in $MONITOR_PEERS; do
  [[ "$peer" =~ ^[a-z0-9-]+=[0-9.]+$ ]] || fail "MONITOR_PEERS must be name=IPv4 address pairs, not '$peer'"
done

secret() {
  local credential=$1 variable=$2
  if [[ -n "${CREDENTIALS_DIRECTORY:-}" && -f "$CREDENTIALS_DIRECTORY/$credential" ]]; then
    cat "$CREDENTIALS_DIRECTORY/$credential"
  else
    printf '%s' "${!variable:-}"
  fi
}
WEBHOOK_URL=$(secret monitor_webhook-url MONITOR_WEBHOOK_URL)
HEARTBEAT_URL=$(secret monitor_heartbeat-url MONITOR_HEARTBEAT_URL)
JOURNAL_ONLY=""
[[ -n "$WEBHOOK_URL" ]] || JOURNAL_ONLY=" (no webhook configured: this journal only)"

# A value for curl's config file: double-quoted, with \ and " escaped (curl(1) --config).
curl_quoted() {
  local value=${1//\\/\\\\}
  printf '"%s"' "${value//\"/\\\"}"
}

# curl_secretly URL [CONFIG_LINE...]: curl with its whole configuration, the URL included, on standard input
# (`--config -`: "Specify the filename to -K, --config as '-' to make curl read the file from stdin",
# https://curl.se/docs/manpage.html#-K). Its error text names the host, so it is dropped: the exit code is logged.
curl_secretly() {
  local url=$1 line config
  shift
  config="url = $(curl_quoted "$url")"$'\n'"fail"$'\n'"silent"$'\n'"max-time = 15"$'\n'"retry = 2"$'\n'
  config+="output = \"/dev/null\""$'\n'
  for line in "$@"; do config+="$line"$'\n'; done
  curl --config - <<<"$config" 2>/dev/null
}

# The body of an alert, in MONITOR_FORMAT; nothing in it is secret: names, figures, thresholds.
payload() {
  local check=$1 status=$2 summary=$3 value=$4 threshold=$5 time
  time=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  case "$MONITOR_FORMAT" in
    json)
      jq -cn --arg stack "$MONITOR_STACK" --arg server "$SERVER" --arg check "$check" --arg status "$status" \
        --arg summary "$summary" --arg value "$value" --arg threshold "$threshold" --arg time "$time" \
        '{stack: $stack, server: $server, check: $check, status: $status, summary: $summary, value: $value,
          threshold: $threshold, time: $time}'
      ;;
    # Slack's (and Mattermost's, and Discord's /slack endpoint's) incoming webhook takes {"text": ...}, where
    # &, < and > must be escaped (https://api.slack.com/reference/surfaces/formatting#escaping).
    slack)
      jq -cn --arg text "[$(status_word "$status")] $MONITOR_STACK on $SERVER: $summary" \
        '{text: ($text | gsub("&"; "&amp;") | gsub("<"; "&lt;") | gsub(">"; "&gt;"))}'
      ;;
    # ntfy takes the message as the body and the rest as headers (https://docs.ntfy.sh/publish/).
    ntfy) printf '%s\n' "$summary" ;;
  esac
}

status_word() {
  case "$1" in
    alert) printf 'ALERT' ;;
    resolved) printf 'RESOLVED' ;;
    *) printf 'TEST' ;;
  esac
}

# deliver CHECK STATUS SUMMARY VALUE THRESHOLD: POST the change to the webhook; fails when it was not taken.
deliver() {
  local check=$1 status=$2 summary=$3 body headers=()
  body=$(mktemp "$MONITOR_STATE_DIR/.body.XXXXXX")
  payload "$@" >"$body"
  case "$MONITOR_FORMAT" in
    ntfy)
      # Title, Priority and Tags headers: https://docs.ntfy.sh/publish/#message-title, #message-priority, #tags-emojis.
      headers+=("header = $(curl_quoted "Title: $(status_word "$status"): $check on $MONITOR_STACK ($SERVER)")")
      if [[ "$status" == alert ]]; then
        headers+=('header = "Priority: high"' 'header = "Tags: warning"')
      else
        headers+=('header = "Priority: default"' 'header = "Tags: white_check_mark"')
      fi
      headers+=('header = "Content-Type: text/plain; charset=utf-8"')
      ;;
    *) headers+=('header = "Content-Type: application/json"') ;;
  esac
  local result=0
  curl_secretly "$WEBHOOK_URL" "data-binary = $(curl_quoted "@$body")" "${headers[@]}" || result=$?
  rm -f "$body"
  if ((result != 0)); then
    log "could not deliver '$status' of $check to the webhook (curl exit $result); it is sent again next time"
    return 1
  fi
}

state_file() {
  local id=$1
  printf '%s/checks/%s' "$MONITOR_STATE_DIR" "${id//\//_}"
}

# observe ID STATUS SUMMARY VALUE THRESHOLD: record a check's outcome; tell of a change.
observe() {
  local id=$1 status=$2 summary=$3 value=$4 threshold=$5 file previous=ok
  file=$(state_file "$id")
  [[ -f "$file" ]] && previous=$(<"$file")
  [[ "$previous" == "$status" ]] && return 0
  local event=$status
  [[ "$status" == ok ]] && event=resolved
  log "$(status_word "$event"): $summary${JOURNAL_ONLY}"
  if [[ -n "$WEBHOOK_URL" ]] && ! deliver "$id" "$event" "$summary" "$value" "$threshold"; then
    UNDELIVERED=1
    return 0
  fi
  printf '%s\n' "$status" >"$file.new"
  mv -f "$file.new" "$file"
}

above() {
  if (($1 > $2)); then printf alert; else printf ok; fi
}

check_disks() {
  local exclusions=() type percent target used
  for type in "${PSEUDO_FILE_SYSTEMS[@]}"; do exclusions+=(--exclude-type="$type"); done
  # --local: no network file systems; one line per device (df lists a device once, coreutils df(1)).
  while read -r percent target; do
    used=${percent%\%}
    [[ "$used" =~ ^[0-9]+$ ]] || continue
    observe "disk:$target" "$(above "$used" "$MONITOR_DISK_PERCENT")" \
      "disk $target is ${used}% full (alert above ${MONITOR_DISK_PERCENT}%)" "${used}%" "${MONITOR_DISK_PERCENT}%"
  done < <(df --local --output=pcent,target "${exclusions[@]}" | tail -n +2)
}

# Used memory is what is not available: MemAvailable counts reclaimable caches as free (proc(5), /proc/meminfo).
check_memory() {
  local key value _ total="" available="" used
  while read -r key value _; do
    case "$key" in
      MemTotal:) total=$value ;;
      MemAvailable:) available=$value ;;
    esac
  done <"$MONITOR_PROC/meminfo"
  [[ -n "$total" && -n "$available" ]] || fail "no MemTotal or MemAvailable in $MONITOR_PROC/meminfo"
  used=$(((total - available) * 100 / total))
  observe memory "$(above "$used" "$MONITOR_MEMORY_PERCENT")" \
    "memory is ${used}% used (alert above ${MONITOR_MEMORY_PERCENT}%)" "${used}%" "${MONITOR_MEMORY_PERCENT}%"
}

# "busy total" jiffies of all CPUs: the first line of /proc/stat is user nice system idle iowait irq softirq steal
# (guest time is already counted in user and nice; proc(5), /proc/stat).
cpu_counters() {
  local label user nice system idle iowait irq softirq steal rest
  read -r label user nice system idle iowait irq softirq steal rest <"$MONITOR_PROC/stat"
  [[ "$label" == cpu ]] || fail "the first line of $MONITOR_PROC/stat is not the cpu total"
  printf '%s %s\n' $((user + nice + system + irq + softirq + steal)) \
    $((user + nice + system + idle + iowait + irq + softirq + steal))
}

# The share of time the CPUs were busy since the previous pass; on the first pass, over a short sample.
check_cpu() {
  local sample=$MONITOR_STATE_DIR/cpu-counters before now busy_before total_before busy total used
  if [[ -s "$sample" ]]; then
    before=$(<"$sample")
  else
    before=$(cpu_counters)
    sleep "$MONITOR_CPU_SAMPLE_SECONDS"
  fi
  now=$(cpu_counters)
  read -r busy_before total_before <<<"$before"
  read -r busy total <<<"$now"
  printf '%s\n' "$now" >"$sample"
  ((total > total_before)) || return 0
  used=$(((busy - busy_before) * 100 / (total - total_before)))
  observe cpu "$(above "$used" "$MONITOR_CPU_PERCENT")" \
    "CPU was ${used}% busy since the last check (alert above ${MONITOR_CPU_PERCENT}%)" "${used}%" \
    "${MONITOR_CPU_PERCENT}%"
}

# Running, and not unhealthy when the image has a healthcheck (Docker's State.Health is absent without one:
# https://docs.docker.com/reference/cli/docker/inspect/, https://docs.docker.com/reference/dockerfile/#healthcheck).
check_containers() {
  local name state status health
  for name in $MONITOR_CONTAINERS; do
    if state=$(docker inspect --format '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}' \
      "$name" 2>/dev/null); then
      read -r status health <<<"$state"
    else
      status=missing health=""
    fi
    if [[ "$status" == running && "$health" != unhealthy ]]; then
      observe "container:$name" ok "container $name is running${health:+ ($health)}" "$status" running
    else
      observe "container:$name" alert "container $name is ${status}${health:+ ($health)}, not running and healthy" \
        "$status${health:+/$health}" running
    fi
  done
}

# A worker that answers no ping from the main server is off, hung in its kernel or cut off the private network:
# its own monitor cannot say so, and it has no heartbeat of its own. Ping, not a connection to its sshd, which
# fail2ban would count against the main server (Hetzner's firewalls leave the private network alone:
# https://docs.hetzner.com/cloud/firewalls/faq#can-firewalls-secure-traffic-to-my-private-hetzner-cloud-networks).
check_peers() {
  local peer name address
  for peer in $MONITOR_PEERS; do
    name=${peer%%=*}
    address=${peer#*=}
    if ping -c 3 -W 2 -q "$address" >/dev/null 2>&1; then
      observe "reachable:$name" ok "$name ($address) answers" up up
    else
      observe "reachable:$name" alert "$name ($address) does not answer: off, hung or cut off the private network" \
        down up
    fi
  done
}

check_backup() {
  [[ -n "$MONITOR_BACKUP_STAMP" ]] || return 0
  local limit=$((MONITOR_BACKUP_MAX_AGE_HOURS * 3600)) age hours
  if [[ ! -f "$MONITOR_BACKUP_STAMP" ]]; then
    observe backup alert "no successful backup is recorded on this server" none "${MONITOR_BACKUP_MAX_AGE_HOURS}h"
    return 0
  fi
  age=$(($(date +%s) - $(stat -c %Y "$MONITOR_BACKUP_STAMP")))
  hours=$((age / 3600))
  observe backup "$(above "$age" "$limit")" \
    "the newest successful backup is ${hours}h old (alert above ${MONITOR_BACKUP_MAX_AGE_HOURS}h)" "${hours}h" \
    "${MONITOR_BACKUP_MAX_AGE_HOURS}h"
}

# The certificate the dashboard is served with, as a browser asking for its name would judge it: trusted by the
# system's CAs for that name (a proxy that fell back to its own self-signed certificate, Traefik's "TRAEFIK DEFAULT
# CERT", is valid for a year and trusted by nobody), and not about to expire. s_client completes the handshake
# whatever the verification says and reports it as "Verify return code: 0 (ok)" or the error; -verify_hostname
# makes a certificate for another name an error (openssl-s_client(1), OpenSSL 3.0: -verify_hostname, and the
# "Verify return code" line of its session summary).
check_certificate() {
  [[ -n "$MONITOR_DASHBOARD_HOSTNAME" ]] || return 0
  local name=$MONITOR_DASHBOARD_HOSTNAME served="" end="" verdict="" days id="certificate:$MONITOR_DASHBOARD_HOSTNAME"
  served=$(timeout 15 openssl s_client -connect "$MONITOR_TLS_ADDRESS" -servername "$name" -verify_hostname "$name" \
    </dev/null 2>/dev/null) || true
  end=$(openssl x509 -noout -enddate 2>/dev/null <<<"$served") || end=""
  end=${end#notAfter=}
  if [[ -z "$end" ]]; then
    observe "$id" alert "the certificate of $name could not be read on $MONITOR_TLS_ADDRESS" \
      unreadable "${MONITOR_CERTIFICATE_MIN_DAYS}d"
    return 0
  fi
  verdict=$(grep -m 1 -o 'Verify return code: .*' <<<"$served") || verdict=""
  verdict=${verdict#Verify return code: }
  if [[ "$verdict" != "0 (ok)" ]]; then
    observe "$id" alert "the certificate served for $name is not trusted for it (${verdict:-not verified})" \
      untrusted "${MONITOR_CERTIFICATE_MIN_DAYS}d"
    return 0
  fi
  days=$((($(date -d "$end" +%s) - $(date +%s)) / 86400))
  if ((days < MONITOR_CERTIFICATE_MIN_DAYS)); then
    observe "$id" alert \
      "the certificate of $name expires in ${days} days (alert below ${MONITOR_CERTIFICATE_MIN_DAYS})" \
      "${days}d" "${MONITOR_CERTIFICATE_MIN_DAYS}d"
  else
    observe "$id" ok "the certificate of $name expires in ${days} days" "${days}d" "${MONITOR_CERTIFICATE_MIN_DAYS}d"
  fi
}

# url_digest URL: what the state keeps of a URL, a secret: its SHA-256, never the URL.
url_digest() {
  sha256sum <<<"$1" | cut -d' ' -f1
}

# A webhook URL not yet proven here (the first, or a new one) gets one "test" message, which must be taken: a wrong
# URL then fails the `pulumi up` that sets it (the install's proving pass), not the first real alert.
prove_webhook() {
  [[ -n "$WEBHOOK_URL" ]] || return 0
  local proven=$MONITOR_STATE_DIR/webhook-proven digest
  digest=$(url_digest "$WEBHOOK_URL")
  [[ -f "$proven" && "$(<"$proven")" == "$digest" ]] && return 0
  if deliver monitor test "the monitor of $MONITOR_STACK on $SERVER sends its alerts here" "" ""; then
    printf '%s\n' "$digest" >"$proven"
  else
    UNDELIVERED=1
  fi
}

heartbeat() {
  [[ -n "$HEARTBEAT_URL" ]] || return 0
  # healthchecks.io: a GET signals success, <url>/fail a failure (https://healthchecks.io/docs/signaling_failures/).
  local url=$HEARTBEAT_URL result=0 proven=$MONITOR_STATE_DIR/heartbeat-proven digest
  if ((UNDELIVERED)); then
    # /fail goes on the path, before any query (hc-ping.com/<key>/<slug>?create=1).
    url="${HEARTBEAT_URL%%\?*}"
    url="${url%/}/fail"
    [[ "$HEARTBEAT_URL" != *\?* ]] || url+="?${HEARTBEAT_URL#*\?}"
  fi
  digest=$(url_digest "$HEARTBEAT_URL")
  curl_secretly "$url" || result=$?
  if ((result == 0)); then
    printf '%s\n' "$digest" >"$proven"
  elif [[ -f "$proven" && "$(<"$proven")" == "$digest" ]]; then
    log "could not ping the heartbeat URL (curl exit $result)"
  else
    # Never taken yet: a wrong URL, which would leave the dead-man's switch waiting for a first ping forever.
    fail "the heartbeat URL was not taken on its first ping (curl exit $result): check monitoringHeartbeatUrl"
  fi
}

mkdir -p "$MONITOR_STATE_DIR/checks"
prove_webhook
check_disks
check_memory
check_cpu
check_containers
check_peers
check_backup
check_certificate
heartbeat
((UNDELIVERED == 0)) || fail "an alert could not be delivered (above): the next pass sends it again"
