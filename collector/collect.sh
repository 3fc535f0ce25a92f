#!/bin/sh
# influxguard host collector (schema influxguard.collector/1).
#
# Runs on an InfluxDB host through SSM Run Command (as root) and prints ONE
# JSON document on stdout: the running influxd / influxd-meta processes, their
# effective configuration (for the keys the checks read), the installed
# version, listening TCP sockets, certificate/key file permissions, and
# InfluxDB variables from systemd environment files.
#
# POSIX sh; needs nothing beyond a stock Amazon Linux / Ubuntu / Debian host
# and tolerates missing ss, openssl and influxd. Never prints a secret: shared
# secrets, passwords and tokens become "set" or "empty". Output stays well
# under SSM's 24,000-character stdout limit (lists and strings are capped).
#
# Test hooks (never set by influxguard on a real host):
#   INFLUXGUARD_PIDS  space-separated pids to consider instead of scanning /proc
#   INFLUXGUARD_ROOT  prefix for systemd unit and environment-file paths (a fixture directory)
set -u
LC_ALL=C
export LC_ALL
ROOT=${INFLUXGUARD_ROOT:-}
MAXSTR=400

have() { command -v "$1" >/dev/null 2>&1; }

# JSON string: escape, drop control characters, cap length.
js() {
  printf '"%s"' "$(printf '%s' "$1" | cut -c1-"${2:-$MAXSTR}" | tr -d '\000-\010\013-\037' | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/	/\\t/g' | awk 'BEGIN{ORS=""} NR>1{print "\\n"} {print}')"
}

# A value for a key: secrets become set/empty.
masked() { # key value
  case "$1" in
    *[Ss][Ee][Cc][Rr][Ee][Tt]*|*[Pp][Aa][Ss][Ss][Ww][Oo][Rr][Dd]*|*[Tt][Oo][Kk][Ee][Nn]*|*_KEY|*-key-data)
      if [ -n "$2" ]; then printf 'set'; else printf 'empty'; fi ;;
    *) printf '%s' "$2" ;;
  esac
}

ERRORS=""
err() { ERRORS="$ERRORS${ERRORS:+,}$(js "$1" 200)"; }

# Keys the checks read, as section.key (top-level keys have no section).
WANTED='bind-address http.bind-address http.auth-enabled http.https-enabled http.https-certificate http.https-private-key http.shared-secret http.pprof-enabled http.pprof-auth-enabled http.ping-auth-enabled http.flux-enabled tls.min-version tls.max-version meta.bind-address meta.http-bind-address meta.auth-enabled meta.https-enabled meta.https-certificate meta.https-private-key meta.internal-shared-secret meta.pprof-enabled meta.meta-auth-enabled meta.meta-tls-enabled meta.meta-internal-shared-secret cluster.https-enabled'

# TOML (the subset influxd writes) to "key<TAB>value" lines for WANTED keys and [http.headers].
toml_pairs() {
  awk -v wanted=" $WANTED " '
    /^[ \t]*#/ || /^[ \t]*$/ { next }
    /^[ \t]*\[\[/ { section = "#array"; next }
    /^[ \t]*\[/ { s = $0; gsub(/^[ \t]*\[|\][ \t]*$/, "", s); gsub(/[ \t]/, "", s); section = s; next }
    /=/ {
      if (section == "#array") next
      k = $0; sub(/=.*/, "", k); gsub(/[ \t"]/, "", k)
      v = $0; sub(/^[^=]*=[ \t]*/, "", v); sub(/[ \t]+#.*$/, "", v); gsub(/^"|"[ \t]*$/, "", v)
      full = (section == "" ? k : section "." k)
      if (section == "http.headers") { print "header:" k "\t" v; next }
      if (index(wanted, " " full " ") > 0) print full "\t" v
    }'
}

pairs_json() { # reads key<TAB>value lines → JSON members
  first=1
  while IFS='	' read -r k v; do
    [ -n "$k" ] || continue
    case "$k" in header:*) continue ;; esac
    [ $first -eq 1 ] || printf ','
    first=0
    printf '%s:%s' "$(js "$k" 80)" "$(js "$(masked "$k" "$v")" 300)"
  done
}

headers_json() {
  first=1
  while IFS='	' read -r k v; do
    case "$k" in header:*) ;; *) continue ;; esac
    [ $first -eq 1 ] || printf ','
    first=0
    printf '%s:%s' "$(js "${k#header:}" 80)" "$(js "$v" 200)"
  done
}

user_of() { # uid → name
  name=$(awk -F: -v u="$1" '$3 == u { print $1; exit }' /etc/passwd 2>/dev/null)
  printf '%s' "${name:-$1}"
}

# ─────────────── processes ───────────────
if [ -n "${INFLUXGUARD_PIDS:-}" ]; then
  PIDS=$INFLUXGUARD_PIDS
else
  PIDS=""
  for d in /proc/[0-9]*; do
    c=$(cat "$d/comm" 2>/dev/null) || continue
    case "$c" in influxd|influxd-meta) PIDS="$PIDS ${d#/proc/}" ;; esac
  done
fi

CONFIG_FILES=""
PROCS=""
NPROC=0
for pid in $PIDS; do
  [ -r "/proc/$pid/cmdline" ] || continue
  NPROC=$((NPROC + 1))
  [ $NPROC -le 8 ] || { err "more than 8 InfluxDB processes; the rest are not listed"; break; }
  name=$(cat "/proc/$pid/comm" 2>/dev/null)
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null || printf '%s' "$name")
  cmdline=$(tr '\000' ' ' < "/proc/$pid/cmdline" 2>/dev/null)
  uid=$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
  envs=$(tr '\000' '\n' < "/proc/$pid/environ" 2>/dev/null | grep -E '^INFLUXDB?_|^INFLUXD_' | head -n 60)
  cfg=$(printf '%s\n' "$cmdline" | awk '{ for (i = 1; i < NF; i++) if ($i == "-config" || $i == "--config") { print $(i + 1); exit } }')
  [ -n "$cfg" ] || cfg=$(printf '%s\n' "$envs" | sed -n 's/^INFLUXDB_CONFIG_PATH=//p' | head -n 1)
  [ -n "$cfg" ] && CONFIG_FILES="$CONFIG_FILES $cfg"

  # Effective configuration: `influxd config` with the process's own InfluxDB variables; else the file.
  source="none"
  pairs=""
  if [ -n "$cfg" ] && [ -x "$exe" ]; then
    pairs=$(env -i PATH="${PATH:-/usr/bin:/bin}" $(printf '%s\n' "$envs" | grep -v '[[:space:]]') "$exe" config -config "$cfg" 2>/dev/null | toml_pairs)
    [ -n "$pairs" ] && source="influxd config"
  fi
  if [ -z "$pairs" ] && [ -n "$cfg" ] && [ -r "$cfg" ]; then
    pairs=$(toml_pairs < "$cfg")
    source="file"
  fi
  [ -n "$cfg" ] && [ "$source" = "none" ] && err "cannot read config $cfg of pid $pid"

  env_json=$(printf '%s\n' "$envs" | awk -F= 'NF >= 1 && $1 != "" { k = $1; v = substr($0, length(k) + 2); print k "\t" v }' | pairs_json)
  PROCS="$PROCS${PROCS:+,}{\"pid\":$pid,\"name\":$(js "$name" 40),\"user\":$(js "$(user_of "${uid:-?}")" 40),\"cmdline\":$(js "$cmdline" 300),\"configPath\":$(js "$cfg" 200),\"env\":{$env_json},\"configSource\":$(js "$source"),\"config\":{$(printf '%s\n' "$pairs" | pairs_json)},\"headers\":{$(printf '%s\n' "$pairs" | headers_json)}}"
done

# ─────────────── version ───────────────
VERSION=""
for bin in influxd /usr/bin/influxd influxd-meta; do
  if have "$bin"; then
    VERSION=$("$bin" version 2>/dev/null | head -n 1 | sed -n 's/.*v\{0,1\}\([0-9][0-9]*\.[0-9][0-9]*\.[0-9][0-9]*[^ ,]*\).*/\1/p')
    [ -n "$VERSION" ] && break
  fi
done

# ─────────────── listeners ───────────────
LISTENERS=""
LSOURCE="none"
if have ss; then
  LSOURCE="ss"
  LISTENERS=$(ss -H -ltnp 2>/dev/null | head -n 200 | awk -v only="${INFLUXGUARD_PIDS:-}" '
    { local = $4; proc = ""; pid = ""
      if (match($0, /users:\(\("[^"]*",pid=[0-9]+/)) { u = substr($0, RSTART, RLENGTH); proc = u; sub(/^users:\(\("/, "", proc); sub(/".*/, "", proc); pid = u; sub(/.*pid=/, "", pid) }
      port = local; sub(/.*:/, "", port); addr = local; sub(/:[^:]*$/, "", addr); gsub(/^\[|\]$/, "", addr); sub(/%.*/, "", addr); if (addr == "*") addr = "::"
      if (only != "" && index(" " only " ", " " pid " ") == 0) next
      if (count++ >= 80) next
      printf "%s{\"address\":\"%s\",\"port\":%d,\"process\":\"%s\",\"pid\":%s}", (n++ ? "," : ""), addr, port, proc, (pid == "" ? "null" : pid) }')
elif [ -r /proc/net/tcp ]; then
  LSOURCE="/proc/net/tcp"
  LISTENERS=$(cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk '
    function hex(s,   i, n, c) { n = 0; s = toupper(s); for (i = 1; i <= length(s); i++) { c = index("0123456789ABCDEF", substr(s, i, 1)) - 1; n = n * 16 + c }; return n }
    $4 == "0A" { split($2, a, ":"); ip = a[1]; port = hex(a[2])
      if (length(ip) == 8) addr = hex(substr(ip, 7, 2)) "." hex(substr(ip, 5, 2)) "." hex(substr(ip, 3, 2)) "." hex(substr(ip, 1, 2))
      else if (ip == "00000000000000000000000000000000") addr = "::"
      else if (ip == "00000000000000000000000001000000") addr = "::1"
      else addr = "ipv6:" ip
      if (seen[addr ":" port]++ || count >= 80) next
      count++
      printf "%s{\"address\":\"%s\",\"port\":%d,\"process\":\"\",\"pid\":null}", (n++ ? "," : ""), addr, port }')
fi

# ─────────────── certificate and key files ───────────────
FILES=""
FILES_SEEN=""
for pid_pairs in $(printf '%s\n' "$PROCS" | grep -o '"[a-z.]*https-\(certificate\|private-key\)":"[^"]*"' | sort -u | tr ' ' '_'); do
  role=$(printf '%s' "$pid_pairs" | sed 's/^"\([^"]*\)".*/\1/')
  path=$(printf '%s' "$pid_pairs" | sed 's/^"[^"]*":"\(.*\)"$/\1/')
  [ -n "$path" ] || continue
  case " $FILES_SEEN " in *" $path "*) continue ;; esac
  FILES_SEEN="$FILES_SEEN $path"
  if [ ! -e "$path" ]; then
    FILES="$FILES${FILES:+,}{\"role\":$(js "$role"),\"path\":$(js "$path"),\"exists\":false}"
    continue
  fi
  meta=$(stat -c '%U %G %a' "$path" 2>/dev/null || ls -ln "$path" | awk '{ print $3, $4, "?" }')
  owner=${meta%% *}; rest=${meta#* }; group=${rest%% *}; mode=${rest#* }
  cert=""
  if have openssl && grep -q 'BEGIN CERTIFICATE' "$path" 2>/dev/null; then
    end=$(openssl x509 -in "$path" -noout -enddate 2>/dev/null | sed 's/^notAfter=//')
    subj=$(openssl x509 -in "$path" -noout -subject 2>/dev/null | sed 's/^subject=//')
    cert=",\"notAfter\":$(js "$end" 60),\"subject\":$(js "$subj" 200)"
  fi
  haskey=false
  grep -q 'PRIVATE KEY' "$path" 2>/dev/null && haskey=true
  FILES="$FILES${FILES:+,}{\"role\":$(js "$role"),\"path\":$(js "$path"),\"exists\":true,\"owner\":$(js "$owner" 40),\"group\":$(js "$group" 40),\"mode\":$(js "$mode" 8),\"containsPrivateKey\":$haskey$cert}"
done

# ─────────────── systemd environment files ───────────────
ENVFILES=""
for unit in "$ROOT/etc/systemd/system/influxdb.service" "$ROOT/lib/systemd/system/influxdb.service" "$ROOT/usr/lib/systemd/system/influxdb.service" "$ROOT/etc/systemd/system/influxdb-meta.service" "$ROOT/lib/systemd/system/influxdb-meta.service" $(ls "$ROOT"/etc/systemd/system/influxdb.service.d/*.conf 2>/dev/null); do
  [ -r "$unit" ] || continue
  ENVFILES="$ENVFILES $(sed -n 's/^EnvironmentFile=-\{0,1\}//p' "$unit")"
done
SYSENV=""
for f in $(printf '%s\n' $ENVFILES | sort -u); do
  [ -r "$ROOT$f" ] || continue
  SYSENV="$SYSENV$(grep -E '^[[:space:]]*(export[[:space:]]+)?INFLUXD?B?_[A-Z0-9_]*=' "$ROOT$f" | head -n 40 | sed -e 's/^[[:space:]]*export[[:space:]]*//' -e 's/=/	/' -e 's/	"\(.*\)"$/	\1/')
"
done
SYS_JSON=$(printf '%s' "$SYSENV" | pairs_json)
EF_JSON=$(for f in $(printf '%s\n' $ENVFILES | sort -u); do printf '%s\n' "$(js "$f" 200)"; done | paste -sd, -)

TOOLS="\"ss\":$(have ss && echo true || echo false),\"openssl\":$(have openssl && echo true || echo false),\"influxd\":$(have influxd && echo true || echo false)"
printf '{"schema":"influxguard.collector/1","collectedAt":%s,"hostname":%s,"tools":{%s},"version":%s,"processes":[%s],"listeners":[%s],"listenerSource":%s,"files":[%s],"systemd":{"environmentFiles":[%s],"env":{%s}},"errors":[%s]}\n' \
  "$(js "$(date -u +%Y-%m-%dT%H:%M:%SZ)")" "$(js "$(hostname 2>/dev/null || cat /proc/sys/kernel/hostname)" 100)" "$TOOLS" \
  "$( [ -n "$VERSION" ] && js "$VERSION" 40 || printf 'null')" "$PROCS" "$LISTENERS" "$(js "$LSOURCE")" "$FILES" "$EF_JSON" "$SYS_JSON" "$ERRORS"
