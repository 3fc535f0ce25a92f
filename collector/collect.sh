#!/bin/sh
# influxguard host collector (schema influxguard.collector/1).
#
# Runs on an InfluxDB host through SSM Run Command (as root) and prints ONE
# JSON document on stdout: the running influxd / influxd-meta processes, their
# effective configuration (for the keys the checks read), the installed
# version, listening TCP sockets, certificate/key file permissions, and
# InfluxDB variables from systemd environment files. For InfluxDB 2.x (by its
# `influxd version`): its flags, INFLUXD_* variables and config file text (secret
# values masked); the scanner parses the file and applies influxd's precedence.
#
# POSIX sh; needs nothing beyond a stock Amazon Linux / Ubuntu / Debian host
# and tolerates missing ss, openssl, stat, timeout and influxd.
#
# Nothing on the host is trusted (issue 19):
#  - A process named influxd is trusted only when run by root or the influxdb
#    service account from a root-owned executable named influxd(-meta) that
#    nobody else can change (neither it nor a directory above it is writable
#    by group or others; sticky directories excepted). Any other process is
#    listed under "ignored" with the reason; nothing of it is run or read.
#  - The only program ever run is a trusted process's own executable
#    (`influxd config`, `influxd version`), with a time limit. Everything else
#    is read: regular files only, size-capped, time-limited.
#  - /proc/PID/cmdline and environ are read NUL-separated (a newline inside a
#    value cannot forge another); the config file is found as influxd finds it.
#  - Every string is JSON-escaped, capped, and URL user-info masked. Only the
#    variables the checks read are printed (secrets as set/empty), and only
#    influxd's own flags of the command line.
#  - The document is capped below SSM's 24,000-character stdout limit; a
#    larger one is replaced by one marked "truncated" (the scanner reports it).
#
# Test hooks (never set by influxguard on a real host):
#   INFLUXGUARD_PIDS  space-separated pids to consider instead of every process
#   INFLUXGUARD_ROOT  prefix for systemd unit and environment-file paths (a fixture directory)
set -u
LC_ALL=C
export LC_ALL
ROOT=${INFLUXGUARD_ROOT:-}
MAXSTR=300
MAXFILE=262144
MAXOUT=20000
SERVICE_USER=influxdb
SAFE_PATH=/usr/sbin:/usr/bin:/sbin:/bin
NL='
'

have() { command -v "$1" >/dev/null 2>&1; }

# Run with a time limit (SIGKILL: nothing on the host can ignore it) where timeout exists.
if timeout -s KILL 5 true >/dev/null 2>&1; then
  bounded() { secs=$1; shift; timeout -s KILL "$secs" "$@"; }
else
  bounded() { shift; "$@"; }
fi

# awk helpers: js(s, max) is a JSON string (user-info of URLs masked, capped,
# quotes, backslashes and every control character escaped); masked(k, v)
# turns secrets into set/empty. Data reaches awk on stdin, never through -v.
AWKLIB='
function jsinit(   i) { CTL = ""; for (i = 1; i < 32; i++) CTL = CTL sprintf("%c", i); CTL = CTL sprintf("%c", 127) }
function js(s, max,   o, i, c, k, n) {
  gsub("://[^ \t]*@", "://***@", s)
  if (length(s) > max) s = substr(s, 1, max)
  o = ""; n = length(s)
  for (i = 1; i <= n; i++) {
    c = substr(s, i, 1)
    if (c == "\\" || c == "\"") o = o "\\" c
    else if ((k = index(CTL, c)) > 0) o = o sprintf("\\u%04x", k == 32 ? 127 : k)
    else o = o c
  }
  return "\"" o "\""
}
function masked(k, v,   u) {
  u = toupper(k)
  if (u == "INFLUXD_TLS_KEY" || u == "TLS-KEY") return v
  if (u ~ /SECRET|PASSWORD|TOKEN|_KEY$|-KEY-DATA$/) return v == "" ? "empty" : "set"
  return v
}
'

js() { # string [max] → JSON string
  printf '%s' "$1" | awk -v max="${2:-$MAXSTR}" "$AWKLIB"'
    BEGIN { jsinit() } { a = (NR > 1 ? a "\n" : "") $0 } END { printf "%s", js(a, max) }'
}

NERR=0
ERRORS=""
err() {
  NERR=$((NERR + 1))
  if [ $NERR -le 20 ]; then ERRORS="$ERRORS${ERRORS:+,}$(js "$1" 200)"; fi
}

# Keys the checks read, as section.key (top-level keys have no section).
# test/host/hostile.test.ts checks that every key the checks use is here.
WANTED='bind-address http.bind-address http.auth-enabled http.https-enabled http.https-certificate http.https-private-key http.shared-secret http.pprof-enabled http.pprof-auth-enabled http.ping-auth-enabled http.flux-enabled tls.min-version tls.max-version meta.bind-address meta.http-bind-address meta.auth-enabled meta.https-enabled meta.https-certificate meta.https-private-key meta.internal-shared-secret meta.pprof-enabled meta.meta-auth-enabled meta.meta-tls-enabled meta.meta-internal-shared-secret cluster.https-enabled'
# InfluxDB 2.x: the options the checks read (flags, INFLUXD_<OPTION> variables, config-file keys).
# test/host/hostile.test.ts checks that every key the checks use is here.
WANTED2='http-bind-address tls-cert tls-key tls-min-version tls-strict-ciphers pprof-disabled metrics-disabled session-length session-renew-disabled hardening-enabled vault-token'
# 2.x boolean flags (cmd/influxd/launcher/cmd.go): they take no separate value on the command line.
BOOL2=' flux-log-enabled e2e-testing testing-always-allow-setup reporting-disabled overwrite-pid-file session-renew-disabled tls-strict-ciphers no-tasks pprof-disabled metrics-disabled ui-disabled hardening-enabled template-file-urls-disabled strong-passwords vault-skip-verify storage-wal-flush-on-shutdown storage-validate-keys storage-no-validate-field-size storage-tsm-use-madv-willneed '
# The variables that override them (influxd's INFLUXDB_<SECTION>_<KEY>, 2.x's INFLUXD_<OPTION>): the only ones printed.
ENV_ALLOW="$(printf '%s\n' $WANTED | awk '{ k = toupper($0); gsub(/[.-]/, "_", k); printf "%sINFLUXDB_%s", (NR > 1 ? " " : ""), k }') $(printf '%s\n' $WANTED2 config-path | awk '{ k = toupper($0); gsub(/-/, "_", k); printf "%sINFLUXD_%s", (NR > 1 ? " " : ""), k }')"

# TOML (the subset influxd writes) to "key<TAB>value" lines for WANTED keys and [http.headers].
toml_pairs() {
  awk -v wanted=" $WANTED " '
    /^[ \t]*#/ || /^[ \t]*$/ { next }
    /^[ \t]*\[\[/ { section = "#array"; next }
    /^[ \t]*\[/ { s = $0; gsub(/^[ \t]*\[|\][ \t]*$/, "", s); gsub(/[ \t"]/, "", s); section = s; next }
    /=/ {
      if (section == "#array") next
      k = $0; sub(/=.*/, "", k); gsub(/[ \t"\047]/, "", k)
      v = $0; sub(/^[^=]*=[ \t]*/, "", v); sub(/[ \t]+#.*$/, "", v); sub(/[ \t]+$/, "", v)
      if (v ~ /^".*"$/ || v ~ /^\047.*\047$/) v = substr(v, 2, length(v) - 2)
      full = (section == "" ? k : section "." k)
      if (section == "http.headers") { if (h++ < 20) print "header:" k "\t" v; next }
      if (index(wanted, " " full " ") > 0) print full "\t" v
    }'
}

# "key<TAB>value" lines → JSON members: config keys (which = config) or [http.headers] (which = headers).
pairs_json() {
  awk -v which="$1" -v max="$MAXSTR" "$AWKLIB"'
    BEGIN { jsinit(); FS = "\t" }
    $1 == "" { next }
    { k = $1; v = substr($0, length(k) + 2); hdr = (substr(k, 1, 7) == "header:") }
    # Header values are not judged; one that may carry a credential is printed as set/empty.
    which == "headers" && hdr { k = substr(k, 8); if (toupper(k) ~ /AUTH|COOKIE|TOKEN|SECRET|KEY|PASS/) v = (v == "" ? "empty" : "set"); printf "%s%s:%s", (n++ ? "," : ""), js(k, 80), js(v, 200) }
    which == "config" && !hdr { printf "%s%s:%s", (n++ ? "," : ""), js(k, 80), js(masked(k, v), max) }'
}

# NAME=VALUE lines → JSON members for the allowed variables; first = 1: the first of
# duplicate names counts (Go's os.Getenv), else the last (systemd environment files).
env_json() {
  awk -v allow="$ENV_ALLOW" -v first="$1" -v max="$MAXSTR" "$AWKLIB"'
    BEGIN { jsinit(); n = split(allow, a, " "); for (i = 1; i <= n; i++) ok[a[i]] = 1 }
    { k = $0; sub(/=.*/, "", k) }
    !(k in ok) || (first && (k in val)) { next }
    { if (!(k in val)) order[++m] = k; val[k] = substr($0, length(k) + 2) }
    END { for (i = 1; i <= m; i++) printf "%s%s:%s", (i > 1 ? "," : ""), js(order[i], 80), js(masked(order[i], val[order[i]]), max) }'
}

user_of() { # uid → name
  _n=$(awk -F: -v u="$1" '$3 == u { print $1; exit }' /etc/passwd 2>/dev/null)
  printf '%s' "${_n:-$1}"
}
SERVICE_UID=$(awk -F: -v n="$SERVICE_USER" '$1 == n { print $3; exit }' /etc/passwd 2>/dev/null)
SERVICE_UID=${SERVICE_UID:--}

# Why root cannot rely on a file (nothing when it can): it is not a regular
# file, or someone other than root can change it or a directory above it.
untrusted_file() { # root-prefix path
  [ -f "$1$2" ] || { printf '%s is not a regular file' "$2"; return; }
  have stat || { printf 'stat is missing: %s cannot be checked' "$2"; return; }
  p=$2
  while :; do
    m=$(bounded 5 stat -L -c '%u %a' "$1${p:-/}" 2>/dev/null) || { printf 'cannot stat %s' "${p:-/}"; return; }
    u=${m% *}
    a=$((0${m#* }))
    [ "$u" = 0 ] || { printf '%s is owned by uid %s, not root' "${p:-/}" "$u"; return; }
    # Group/other-writable: only a sticky directory is safe (nobody else may rename a root file in it).
    if [ $((a & 022)) -ne 0 ] && { [ "$p" = "$2" ] || [ $((a & 01000)) -eq 0 ]; }; then
      printf '%s is writable by group or others' "${p:-/}"; return
    fi
    [ -n "$p" ] || break
    p=${p%/*}
  done
}

# Why a process is not trusted (nothing when it is).
distrust() { # pid ruid euid exe
  for u in "$2" "$3"; do
    [ "$u" = 0 ] || [ "$u" = "$SERVICE_UID" ] || { printf 'run by %s (uid %s), neither root nor %s' "$(user_of "$u")" "$u" "$SERVICE_USER"; return; }
  done
  case "$4" in
    *' (deleted)') printf 'its executable was deleted or replaced since it started (restart it after an upgrade)'; return ;;
    /*) ;;
    *) printf 'its executable cannot be read'; return ;;
  esac
  case "${4##*/}" in influxd|influxd-meta) ;; *) printf 'its executable is not influxd'; return ;; esac
  untrusted_file "/proc/$1/root" "$4"
}

# A path as the process sees it: its own root (containers) and working directory.
inproc() { # pid path
  case "$2" in /*) printf '/proc/%s/root%s' "$1" "$2" ;; *) printf '/proc/%s/cwd/%s' "$1" "$2" ;; esac
}

# Go's flag parsing as influxd does it: the subcommand, then flags until the
# first non-flag. Prints "config<TAB>path" (the last -config given) and
# "shown<TAB>subcommand and known flags" (nothing else of the command line).
FLAGS_AWK='
BEGIN { n = split("config pidfile cpuprofile memprofile hostname join", a, " "); for (i = 1; i <= n; i++) known[a[i]] = 1 }
NR == 1 { next }
NR == 2 && substr($0, 1, 1) != "-" { if ($0 ~ /^[a-z][a-z-]*$/ && length($0) <= 16) shown = $0; else { hidden++; stop = 1 }; next }
stop { hidden++; next }
want != "" { val[want] = $0; shown = shown " -" want " " $0; want = ""; next }
$0 == "--" || $0 == "-" || substr($0, 1, 1) != "-" { stop = 1; hidden++; next }
{
  f = $0; sub(/^--?/, "", f); v = ""; eq = index(f, "=")
  if (eq) { v = substr(f, eq + 1); f = substr(f, 1, eq - 1) }
  if (f in known) { if (eq) { val[f] = v; shown = shown " -" f "=" v } else want = f }
  else if (f == "single-server") shown = shown " -" f
  else { hidden++; stop = 1 }
}
END {
  print "config\t" val["config"]
  sub(/^ /, "", shown)
  print "shown\t" shown (hidden ? " [" hidden " other arguments not shown]" : "")
}'
field() { printf '%s\n' "$2" | sed -n "s/^$1	//p" | head -n 1; }
envval() { printf '%s\n' "$2" | sed -n "s/^$1=//p" | head -n 1; }

# `influxd config` by the trusted executable with the process's INFLUXDB_ variables:
# its effective configuration, env overrides applied exactly as influxd applies them.
run_config() { # exe config-path NAME=VALUE-lines
  x=$1 c=$2 vars=$3
  set --
  while IFS= read -r kv; do [ -n "$kv" ] && set -- "$@" "$kv"; done <<EOF
$vars
EOF
  bounded 10 env -i PATH="$SAFE_PATH" SF_OCSP_RESPONSE_CACHE_DIR=/dev/null "$@" "$x" config -config "$c" 2>/dev/null | head -c $MAXFILE
}

# A certificate or key file (regular files only, read size-capped and time-limited);
# at most 4 per process, 8 processes: never more than the 32 the scanner accepts.
FILES=""
file_json() { # role path pid
  r=$(inproc "$3" "$2")
  if [ ! -e "$r" ]; then
    FILES="$FILES${FILES:+,}{\"role\":$(js "$1" 80),\"path\":$(js "$2" 400),\"exists\":false}"
    return
  fi
  meta=$(bounded 5 stat -L -c '%U %G %a' "$r" 2>/dev/null || ls -lnL "$r" 2>/dev/null | awk '{ print $3, $4, "?" }')
  owner=${meta%% *}; rest=${meta#* }; group=${rest%% *}; mode=${rest#* }
  key=false
  cert=""
  if [ -f "$r" ]; then
    pem=$(bounded 5 head -c 65536 "$r" 2>/dev/null | tr -d '\000')
    case "$pem" in *'PRIVATE KEY'*) key=true ;; esac
    case "$pem" in *'BEGIN CERTIFICATE'*)
      if have openssl; then
        x509=$(printf '%s\n' "$pem" | bounded 5 openssl x509 -noout -enddate -subject 2>/dev/null)
        cert=",\"notAfter\":$(js "$(printf '%s\n' "$x509" | sed -n 's/^notAfter=//p' | head -n 1)" 60),\"subject\":$(js "$(printf '%s\n' "$x509" | sed -n 's/^subject= *//p' | head -n 1)" 200)"
      fi ;;
    esac
  else
    err "$1 $2 is not a regular file: not read"
  fi
  FILES="$FILES${FILES:+,}{\"role\":$(js "$1" 80),\"path\":$(js "$2" 400),\"exists\":true,\"owner\":$(js "$owner" 40),\"group\":$(js "$group" 40),\"mode\":$(js "$mode" 8),\"containsPrivateKey\":$key$cert}"
}

# ─────────────── InfluxDB 2.x ───────────────
# Its options come from flags, then INFLUXD_<OPTION> variables, then a config
# file (TOML, YAML or JSON): the scanner parses the file (with a TOML/YAML
# library) and applies that precedence. Here: the flags the checks read (pflag
# parsing: a boolean flag takes no separate value), and the file's text with
# every value of a key naming a token, secret or password replaced by
# "set"/"empty" (a file where such a value spans lines, or cannot be delimited,
# is not sent).
FLAGS2_AWK='
BEGIN { n = split(wanted, a, " "); for (i = 1; i <= n; i++) want[a[i]] = 1 }
NR == 1 { next }
NR == 2 && $0 == "run" { next }
stop { next }
take != "" { if (take in want) print take "\t" $0; take = ""; next }
$0 == "--" || substr($0, 1, 1) != "-" { stop = 1; next }
{
  f = $0; sub(/^--?/, "", f); eq = index(f, "=")
  if (eq) { v = substr(f, eq + 1); f = substr(f, 1, eq - 1); if (f in want) print f "\t" v; next }
  if (index(bools, " " f " ")) { if (f in want) print f "\ttrue"; next }
  take = f
}'
# The 2.x config file: $INFLUXD_CONFIG_PATH (a file by its extension, else a
# directory), else the working directory; in a directory, config.json, .toml,
# .yaml, .yml, the first that exists (viper's order).
config2_path() { # pid envs
  c=$(envval INFLUXD_CONFIG_PATH "$2")
  [ -n "$c" ] || c=.
  case "$c" in
    *.[Jj][Ss][Oo][Nn]|*.[Tt][Oo][Mm][Ll]|*.[Yy][Aa][Mm][Ll]|*.[Yy][Mm][Ll]) [ -e "$(inproc "$1" "$c")" ] && printf '%s' "$c"; return ;;
  esac
  for e in json toml yaml yml; do
    if [ -e "$(inproc "$1" "$c/config.$e")" ]; then printf '%s' "${c%/}/config.$e"; return; fi
  done
}
MASK2_AWK='
function quoted(s, q,   i) { for (i = 2; i <= length(s); i++) { if (substr(s, i, 1) == "\\") { i++; continue } if (substr(s, i, 1) == q) return i } return 0 }
# After a secret key: YAML properties (&anchor, !tag), then a quoted value, or a
# plain one running to the end of the line or a comment (a YAML plain scalar may
# hold spaces). Nothing after the key (or a block scalar |, >) means the value is
# on the next lines, and a plain value with , { } [ ] inside cannot be delimited
# with certainty: either way the file is not sent.
{
  line = $0; out = ""
  while (!unsure && match(tolower(line), /["\047]?[a-z0-9_.-]*(token|secret|passw)[a-z0-9_.-]*["\047]?[ \t]*[:=][ \t]*/)) {
    out = out substr(line, 1, RSTART + RLENGTH - 1); line = substr(line, RSTART + RLENGTH)
    match(line, /^([&!][^ \t]*[ \t]*)*/); props = RLENGTH; body = substr(line, props + 1)
    c = substr(body, 1, 1); end = 0; empty = 0
    if (c == "\"" || c == "\047") {
      if (substr(body, 1, 3) == c c c) unsure = 1
      else { end = quoted(body, c); if (!end) unsure = 1 }
      empty = (end == 2 && props == 0)
    } else if (c == "" || c == "#" || c == "|" || c == ">") unsure = 1
    else {
      v = body; if (match(v, /[ \t]#/)) v = substr(v, 1, RSTART - 1)
      sub(/[ \t,}\]]*$/, "", v); end = length(v)
      if (v ~ /[,{}\[\]]/) unsure = 1
    }
    if (unsure) { line = ""; break }
    out = out (empty ? "\"empty\"" : "\"set\""); line = substr(body, end + 1)
  }
  print out line
}
END { if (unsure) print "#influxguard:multiline-secret" }'
# Candidate paths of tls-cert / tls-key written in the file (for their permissions; the scanner decides which counts).
TLS2_AWK='
{ line = $0
  while (match(line, /tls-(cert|key)["\047]?[ \t]*[:=][ \t]*/)) {
    role = (substr(line, RSTART, 7) == "tls-key" ? "tls-key" : "tls-cert"); v = substr(line, RSTART + RLENGTH); line = v
    c = substr(v, 1, 1); if (c == "\"" || c == "\047") { v = substr(v, 2); sub(c ".*", "", v) } else sub(/[,}#\t ].*/, "", v)
    if (v != "") print role "\t" v
  } }'

# ─────────────── processes ───────────────
if [ -n "${INFLUXGUARD_PIDS:-}" ]; then
  PIDS=$INFLUXGUARD_PIDS
else
  PIDS=""
  for d in /proc/[0-9]*; do PIDS="$PIDS ${d#/proc/}"; done
fi

PROCS=""
NPROC=0
IGNORED=""
NIGN=0
FILES_SEEN=""
VERSIONS=""
# `influxd version` by a trusted executable → its version number. Builds that link
# flux (1.12+, 2.x) start the Snowflake driver, which writes an OCSP cache under
# $HOME/.cache (or ./.cache without HOME): pointed at /dev/null, it writes nothing.
version_of() {
  bounded 5 env -i PATH="$SAFE_PATH" SF_OCSP_RESPONSE_CACHE_DIR=/dev/null "$1" version 2>/dev/null | head -c 1000 | head -n 1 | sed -n 's/.*v\{0,1\}\([0-9][0-9]*\.[0-9][0-9]*\.[0-9][0-9]*[^ ,]*\).*/\1/p'
}
for pid in $PIDS; do
  case "$pid" in ''|*[!0-9]*) continue ;; esac
  d=/proc/$pid
  # Without INFLUXGUARD_PIDS this runs for every process: a builtin read, no fork.
  { IFS= read -r name < "$d/comm"; } 2>/dev/null || continue
  case "$name" in influxd|influxd-meta) ;; *) continue ;; esac
  ids=$(awk '/^Uid:/ { print $2, $3; exit }' "$d/status" 2>/dev/null)
  [ -n "$ids" ] || continue # gone meanwhile
  ruid=${ids%% *}; euid=${ids##* }
  user=$(user_of "$euid")
  exe=$(readlink "$d/exe" 2>/dev/null)
  why=$(distrust "$pid" "$ruid" "$euid" "$exe")
  if [ -n "$why" ]; then
    NIGN=$((NIGN + 1))
    if [ $NIGN -le 8 ]; then
      IGNORED="$IGNORED${IGNORED:+,}{\"pid\":$pid,\"name\":$(js "$name" 40),\"user\":$(js "$user" 40),\"exe\":$(js "$exe" 400),\"reason\":$(js "$why" 300)}"
    elif [ $NIGN -eq 9 ]; then
      err "more than 8 ignored processes; the rest are not listed"
    fi
    continue
  fi
  NPROC=$((NPROC + 1))
  if [ $NPROC -gt 8 ]; then
    err "more than 8 InfluxDB processes; pid $pid and later are not listed"
    IGNORED="$IGNORED${IGNORED:+,}{\"pid\":$pid,\"name\":$(js "$name" 40),\"user\":$(js "$user" 40),\"exe\":$(js "$exe" 400),\"reason\":\"over the collector's limit of 8 processes\"}"
    break
  fi
  x="$d/root$exe"
  v=$(version_of "$x")
  case "$NL$VERSIONS$NL" in *"$NL$v$NL"*) ;; *) VERSIONS="$VERSIONS${VERSIONS:+$NL}$v" ;; esac

  # One argument / variable per line: NUL ends each, and a newline inside one
  # becomes \001 (so it cannot pose as another variable).
  args=$(bounded 5 head -c 65536 "$d/cmdline" 2>/dev/null | tr '\n\000' '\001\n')
  envs=$(bounded 5 head -c 65536 "$d/environ" 2>/dev/null | tr '\n\000' '\001\n' | awk -F= '/^(INFLUXDB_[A-Z0-9_]*|INFLUXD_[A-Z0-9_]*|HOME)=/ && !seen[$1]++')
  flags=$(printf '%s\n' "$args" | awk "$FLAGS_AWK")
  influxenv=$(printf '%s\n' "$envs" | grep '^INFLUXDB_' | head -n 200)

  case "$v" in 2.*)
    flags2=$(printf '%s\n' "$args" | awk -v wanted="$WANTED2" -v bools="$BOOL2" "$FLAGS2_AWK")
    cfg=$(config2_path "$pid" "$envs")
    source=defaults
    text2=""
    fmt2=""
    content=""
    problem=""
    if [ -n "$cfg" ]; then
      rcfg=$(inproc "$pid" "$cfg")
      fmt2=$(printf '%s' "${cfg##*.}" | tr 'A-Z' 'a-z')
      [ "$fmt2" = yml ] && fmt2=yaml
      if [ ! -f "$rcfg" ]; then problem="not a regular file"
      elif [ "$(bounded 5 stat -L -c %s "$rcfg" 2>/dev/null || echo 0)" -gt 8000 ]; then problem="larger than 8000 bytes"
      elif ! content=$(bounded 5 head -c 8000 "$rcfg" 2>/dev/null); then problem="could not be read"
      else
        text2=$(printf '%s\n' "$content" | awk "$MASK2_AWK")
        case "$text2" in *'#influxguard:multiline-secret'*) problem="holds a secret value over several lines or not clearly delimited: not sent"; text2="" ;; esac
      fi
      if [ -n "$problem" ]; then source=none; err "pid $pid: configuration $cfg $problem"; problem=""
      else source=file
      fi
    fi
    # tls-cert / tls-key files: from the flags, the variables and the file.
    cands=$(printf '%s\n' "$flags2" | awk -F '\t' '$1 ~ /^tls-(cert|key)$/'
      printf '%s\n' "$envs" | sed -n 's/^INFLUXD_TLS_CERT=/tls-cert	/p; s/^INFLUXD_TLS_KEY=/tls-key	/p'
      printf '%s\n' "$content" | awk "$TLS2_AWK")
    while IFS='	' read -r role path; do
      [ -n "$path" ] || continue
      case "$NL$FILES_SEEN$NL" in *"$NL$path$NL"*) continue ;; esac
      FILES_SEEN="$FILES_SEEN$NL$path"
      file_json "$role" "$path" "$pid"
    done <<EOF
$cands
EOF
    content=""
    cf=""
    [ -n "$text2" ] && cf=",\"configFile\":{\"format\":$(js "$fmt2" 8),\"text\":$(js "$text2" 8000)}"
    PROCS="$PROCS${PROCS:+,}{\"pid\":$pid,\"name\":$(js "$name" 40),\"user\":$(js "$user" 40),\"cmdline\":$(js "$exe" 600),\"configPath\":$(js "$cfg" 400),\"env\":{$(printf '%s\n' "$envs" | env_json 1)},\"configSource\":$(js "$source"),\"config\":{},\"headers\":{},\"flavour\":\"influxdb-2\",\"flags\":{$(printf '%s\n' "$flags2" | pairs_json config)}$cf}"
    continue ;;
  esac

  # The configuration file influxd reads: -config, else $INFLUXDB_CONFIG_PATH,
  # else the first of ~/.influxdb/influxdb.conf, /etc/influxdb/influxdb.conf that
  # exists (cmd/influxd/run/command.go); -config /dev/null means built-in defaults.
  base=influxdb.conf; var=INFLUXDB_CONFIG_PATH
  [ "$name" = influxd-meta ] && { base=influxdb-meta.conf; var=INFLUXDB_META_CONFIG_PATH; }
  cfg=$(field config "$flags")
  [ -n "$cfg" ] || cfg=$(envval "$var" "$envs")
  if [ -z "$cfg" ]; then
    home=$(envval HOME "$envs")
    for c in "$home/.influxdb/$base" "/etc/influxdb/$base"; do
      if [ -e "$(inproc "$pid" "$c")" ]; then cfg=$c; break; fi
    done
  fi
  [ "$cfg" = /dev/null ] && cfg=""

  # Its effective configuration: `influxd config` by the process's own
  # executable; else the file (the scanner applies the variables); never a guess.
  source=none
  pairs=""
  rcfg=/dev/null
  problem=""
  if [ -n "$cfg" ]; then
    rcfg=$(inproc "$pid" "$cfg")
    if [ ! -f "$rcfg" ]; then problem="not found or not a regular file"
    elif [ "$(bounded 5 stat -L -c %s "$rcfg" 2>/dev/null || echo 0)" -gt $MAXFILE ]; then problem="larger than $MAXFILE bytes"
    fi
  fi
  if [ -z "$problem" ]; then
    # A variable with a control character (\001: a newline) is not passed on: read the file instead.
    if printf '%s\n' "$influxenv" | awk '/[\001-\037\177]/ { bad = 1 } END { exit !bad }'; then
      err "pid $pid: an INFLUXDB_ variable holds a control character; configuration read from the file"
    else
      pairs=$(run_config "$x" "$rcfg" "$influxenv" | toml_pairs)
      [ -n "$pairs" ] && source="influxd config"
    fi
    if [ -z "$pairs" ]; then
      if [ -z "$cfg" ]; then
        source=defaults
      elif content=$(bounded 5 head -c $MAXFILE "$rcfg" 2>/dev/null); then
        pairs=$(printf '%s\n' "$content" | toml_pairs)
        source=file
      else
        problem="could not be read"
      fi
    fi
  fi
  [ -n "$problem" ] && err "pid $pid: configuration $cfg $problem"

  for k in http.https-certificate http.https-private-key meta.https-certificate meta.https-private-key; do
    path=$(field "$k" "$pairs")
    # Read from the file (not `influxd config`): a variable overrides it, as in influxd.
    if [ "$source" != "influxd config" ]; then
      over=$(envval "INFLUXDB_$(printf '%s' "$k" | tr 'a-z.-' 'A-Z__')" "$envs")
      [ -n "$over" ] && path=$over
    fi
    [ -n "$path" ] || continue
    case "$NL$FILES_SEEN$NL" in *"$NL$path$NL"*) continue ;; esac
    FILES_SEEN="$FILES_SEEN$NL$path"
    file_json "$k" "$path" "$pid"
  done

  PROCS="$PROCS${PROCS:+,}{\"pid\":$pid,\"name\":$(js "$name" 40),\"user\":$(js "$user" 40),\"cmdline\":$(js "$exe $(field shown "$flags")" 600),\"configPath\":$(js "$cfg" 400),\"env\":{$(printf '%s\n' "$envs" | env_json 1)},\"configSource\":$(js "$source"),\"config\":{$(printf '%s\n' "$pairs" | pairs_json config)},\"headers\":{$(printf '%s\n' "$pairs" | pairs_json headers)}}"
done

# ─────────────── version ───────────────
# Each running one's (above); none running: an installed one nobody else can change.
# Different versions (or one unreadable) leave it unknown rather than judge one of them.
if [ $NPROC -eq 0 ]; then
  for bin in /usr/bin/influxd /usr/local/bin/influxd /usr/bin/influxd-meta; do
    if [ -z "$(untrusted_file "" "$bin")" ]; then VERSIONS=$(version_of "$bin"); break; fi
  done
fi
VERSION=""
case "$VERSIONS" in
  *"$NL"*) err "running influxd versions differ or cannot all be read: $(printf '%s' "$VERSIONS" | tr '\n' ' ')" ;;
  *) VERSION=$VERSIONS ;;
esac

# ─────────────── listeners ───────────────
# "address<TAB>port<TAB>pid<TAB>process" lines → at most 80 listeners, non-loopback ones
# first; a last line counts the non-loopback ones left out (then the scanner
# cannot pass the host). Loopback ones beyond the cap are left out silently.
LISTEN_AWK='
BEGIN { jsinit() }
{ addr = $1; port = $2; pid = $3; proc = $0; for (k = 0; k < 3; k++) sub(/^[^\t]*\t/, "", proc)
  if (only != "" && index(" " only " ", " " pid " ") == 0) next
  if (seen[addr " " port " " pid]++) next
  e = sprintf("{\"address\":%s,\"port\":%d,\"process\":%s,\"pid\":%s}", js(addr, 60), port, js(proc, 40), (pid == "" ? "null" : pid + 0))
  if (addr ~ /^127\./ || addr == "::1") lo[++nl] = e; else pub[++np] = e }
END {
  for (i = 1; i <= np && out < 80; i++) printf "%s%s", (out++ ? "," : ""), pub[i]
  for (i = 1; i <= nl && out < 80; i++) printf "%s%s", (out++ ? "," : ""), lo[i]
  printf "\n%d", (np > 80 ? np - 80 : 0) }'
LSOURCE="none"
LOUT=""
if have ss && SS=$(bounded 10 ss -H -ltnp 2>/dev/null); then
  LSOURCE="ss"
  LOUT=$(printf '%s\n' "$SS" | awk '
    $1 != "LISTEN" { next }
    { local = $4; proc = ""; pid = ""
      # users:(("NAME",pid=N,fd=N)): the name is untrusted (any bytes but NUL), so cut at the first ",pid=.
      i = index($0, "users:((\"")
      if (i) { rest = substr($0, i + 9); j = index(rest, "\",pid="); if (j) { proc = substr(rest, 1, j - 1); pid = substr(rest, j + 6); sub(/[^0-9].*/, "", pid) } }
      port = local; sub(/.*:/, "", port); addr = local; sub(/:[^:]*$/, "", addr); gsub(/^\[|\]$/, "", addr); sub(/%.*/, "", addr); if (addr == "*") addr = "::"
      print addr "\t" port "\t" pid "\t" proc }' | awk -F '\t' -v only="${INFLUXGUARD_PIDS:-}" "$AWKLIB$LISTEN_AWK")
elif [ -r /proc/net/tcp ]; then
  LSOURCE="/proc/net/tcp"
  LOUT=$(cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk '
    function hex(s,   i, n, c) { n = 0; s = toupper(s); for (i = 1; i <= length(s); i++) { c = index("0123456789ABCDEF", substr(s, i, 1)) - 1; n = n * 16 + c }; return n }
    $4 == "0A" { split($2, a, ":"); ip = a[1]
      if (ip !~ /^[0-9A-Fa-f]+$/) next
      if (length(ip) == 8) addr = hex(substr(ip, 7, 2)) "." hex(substr(ip, 5, 2)) "." hex(substr(ip, 3, 2)) "." hex(substr(ip, 1, 2))
      else if (ip == "00000000000000000000000000000000") addr = "::"
      else if (ip == "00000000000000000000000001000000") addr = "::1"
      else addr = "ipv6:" ip
      print addr "\t" hex(a[2]) "\t\t" }' | awk -F '\t' -v only="" "$AWKLIB$LISTEN_AWK")
fi
LISTENERS=${LOUT%"$NL"*}
LOMITTED=${LOUT##*"$NL"}
case "$LOMITTED" in ''|*[!0-9]*) LOMITTED=0 ;; esac

# ─────────────── systemd environment files ───────────────
# Root-owned unit files name them; still read as data: regular files, capped.
ENVFILES=$(for unit in "$ROOT/etc/systemd/system/influxdb.service" "$ROOT/lib/systemd/system/influxdb.service" "$ROOT/usr/lib/systemd/system/influxdb.service" "$ROOT/etc/systemd/system/influxdb-meta.service" "$ROOT/lib/systemd/system/influxdb-meta.service" "$ROOT"/etc/systemd/system/influxdb.service.d/*.conf; do
  [ -f "$unit" ] || continue
  bounded 5 head -c 65536 "$unit" 2>/dev/null | sed -n 's/^EnvironmentFile=-\{0,1\}//p'
done | head -n 16 | sort -u)
SYSENV=""
EF_JSON=""
while IFS= read -r f; do
  [ -n "$f" ] || continue
  EF_JSON="$EF_JSON${EF_JSON:+,}$(js "$f" 400)"
  [ -f "$ROOT$f" ] || continue
  SYSENV="$SYSENV$(bounded 5 head -c 65536 "$ROOT$f" 2>/dev/null | grep -E '^[[:space:]]*(export[[:space:]]+)?INFLUXDB_[A-Z0-9_]*=' | head -n 200 | sed -e 's/^[[:space:]]*export[[:space:]]*//' -e 's/^[[:space:]]*//' -e 's/^\([^=]*\)="\(.*\)"$/\1=\2/')$NL"
done <<EOF
$ENVFILES
EOF
SYS_JSON=$(printf '%s' "$SYSENV" | env_json 0)

TOOLS="\"ss\":$(have ss && echo true || echo false),\"openssl\":$(have openssl && echo true || echo false),\"influxd\":$(have influxd && echo true || echo false)"
[ $NERR -le 20 ] || ERRORS="$ERRORS,$(js "$((NERR - 20)) more errors not listed")"
HEAD="\"schema\":\"influxguard.collector/1\",\"collectedAt\":$(js "$(date -u +%Y-%m-%dT%H:%M:%SZ)"),\"hostname\":$(js "$(hostname 2>/dev/null || cat /proc/sys/kernel/hostname)" 100),\"tools\":{$TOOLS},\"version\":$( [ -n "$VERSION" ] && js "$VERSION" 40 || printf 'null')"
DOC="{$HEAD,\"processes\":[$PROCS],\"ignored\":[$IGNORED],\"listeners\":[$LISTENERS],\"listenerSource\":$(js "$LSOURCE"),\"listenersOmitted\":$LOMITTED,\"files\":[$FILES],\"systemd\":{\"environmentFiles\":[$EF_JSON],\"env\":{$SYS_JSON}},\"errors\":[$ERRORS]}"
if [ ${#DOC} -le $MAXOUT ]; then
  printf '%s\n' "$DOC"
else
  # Too long for SSM: an explicit marker instead of a document SSM would cut in the middle.
  printf '{%s,"truncated":true,"processes":[],"ignored":[],"listeners":[],"listenerSource":"none","files":[],"systemd":{"environmentFiles":[],"env":{}},"errors":[%s]}\n' \
    "$HEAD" "$(js "the collector's output was ${#DOC} characters, over its $MAXOUT-character cap: nothing else is reported")"
fi
