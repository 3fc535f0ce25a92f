#!/usr/bin/env bash
# Build real InfluxDB servers from the Go module proxy into a cache, for the
# probe and host tests' version matrix (issue 14):
#   ${INFLUXGUARD_CACHE:-$HOME/.cache/influxguard}/influxdb/<version>/influxd
#
#   scripts/influxdb-build.sh [VERSION...]     build (default: every version below)
#   scripts/influxdb-build.sh --if-toolchains  build what this machine's toolchains can, quietly skip the rest
#   scripts/influxdb-build.sh --status         one line naming the versions not cached, and why (nothing if all are)
#   scripts/influxdb-build.sh --cached         one line naming the versions in the cache (for the demo)
#
# IG_TEST_MATRIX=required (.ci/run): a version that cannot be built is a failure.
# IG_TEST_MATRIX=skip (make test MATRIX=skip): nothing is built; one line says which versions the tests will use.
#
# Honest about time: the versions to build are announced with an estimate before the first starts, and a
# progress line (minutes so far, the build's current step and last log line) is printed every minute.
#
# Idempotent and resumable: a version already in the cache is skipped. Each build works in
# <cache>/influxdb/.work-<version>, kept when a build is interrupted or fails, so the next run resumes:
# the copied and patched sources, the pkg-config tool and libflux's Rust build (cargo's target directory)
# are reused, and Go's module and build caches (go env GOMODCACHE GOCACHE, outside the cache) keep every
# download and compiled package. The binary is moved into <cache>/influxdb/<version>/ only when the build
# succeeded, so a cached binary is always complete; the work directory is then removed. One build of a
# version at a time (flock on <cache>/influxdb/.lock-<version>): a second run waits for the first.
# Output goes to <cache>/influxdb/build-<version>.log; the build time is printed at the end.
#
# 1.8.10 is a plain `go install`. 1.13.x and 2.x link libflux (Rust), built by
# github.com/influxdata/pkg-config (which must be first on PATH as pkg-config).
# Two obstacles, both fixed here (see docs/…/influxdb-security-facts.md,
# "Measured on these machines"): flux's rust-toolchain pins an old Rust
# (RUSTUP_TOOLCHAIN=stable), and its `strict` feature turns new compiler lints
# into errors (`deny(warnings)` becomes `allow(warnings)` in a writable copy of
# the flux module, used through a go.mod `replace`). 2.x's go.mod has `replace`
# directives, so `go install` refuses it: the module is downloaded, copied and
# built with `go build ./cmd/influxd`.
set -euo pipefail

# InfluxDB 3 (3.6.0, Core) is installed, not built: its binary was built elsewhere from the open-source tag and
# is shipped xz-compressed in ../shared/influxdb3/ relative to the project root (its README says why and how;
# IG_INFLUXDB3_DIST points elsewhere). build_body verifies the archive against that folder's SHA256SUMS and the
# unpacked binary against INFLUXDB3_SHA256, then unpacks it into <cache>/influxdb/3.6.0/influxdb3. It links
# Debian's libpython3.11 (make setup installs it).
ALL_VERSIONS=(1.8.10 1.13.2 2.7.12 3.6.0)
CACHE="${INFLUXGUARD_CACHE:-$HOME/.cache/influxguard}/influxdb"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
INFLUXDB3_DIST="${IG_INFLUXDB3_DIST:-$ROOT/../shared/influxdb3}"
INFLUXDB3_SHA256=b1bbc393eb231047b4ba1ecbab044845b23ae919c6d0fac1c9fc7322f89e2735
NICE=(nice -n 10)
PROGRESS_EVERY=${IG_BUILD_PROGRESS_SECONDS:-60}

# Minutes a build takes on an idle 2-core machine with empty caches (measured: 1.8.10 135 s, 1.13.2 about
# 5 min, 2.7.12 about 6 min); a busy machine takes longer, a resumed build less.
estimate_min() {
  case "$1" in
    3.*) echo 1 ;;
    1.8.*) echo 2 ;;
    1.*) echo 5 ;;
    *) echo 6 ;;
  esac
}

# module path, ldflags for one version
module_of() {
  case "$1" in
    2.*) echo github.com/influxdata/influxdb/v2 ;;
    *) echo github.com/influxdata/influxdb ;;
  esac
}
ldflags_of() {
  case "$1" in
    1.8.10) echo "-X main.version=1.8.10 -X main.branch=1.8 -X main.commit=688e697c51" ;;
    1.*) echo "-X main.version=$1 -X main.branch=${1%.*}" ;;
    *) echo "-X main.version=v$1" ;;
  esac
}
needs_flux() { [[ "$1" != 1.8.* ]]; }
installed_not_built() { [[ "$1" == 3.* ]]; }
# The server's executable in the cache.
binary_of() { if installed_not_built "$1"; then echo influxdb3; else echo influxd; fi; }
cached_binary() { echo "$CACHE/$1/$(binary_of "$1")"; }

missing_toolchains() {
  local v="$1" missing=()
  if installed_not_built "$v"; then
    command -v xz >/dev/null || missing+=(xz)
    command -v sha256sum >/dev/null || missing+=(sha256sum)
    [ -f "$INFLUXDB3_DIST/SHA256SUMS" ] || missing+=("$INFLUXDB3_DIST")
    (IFS=+; echo "${missing[*]}")
    return
  fi
  command -v go >/dev/null || missing+=(Go)
  if needs_flux "$v"; then
    command -v cargo >/dev/null || missing+=(Rust)
  fi
  (IFS=+; echo "${missing[*]}")
}

# One build, in its own process so that `set -e` holds (it would not inside a `||` list). Every step
# either reuses what an earlier (interrupted) run left in the work directory or redoes it whole.
build_body() {
  local v="$1" work="$2" mod ldflags
  mod="$(module_of "$v")"
  ldflags="$(ldflags_of "$v")"
  export GOFLAGS=-mod=mod GOTOOLCHAIN=local
  if installed_not_built "$v"; then
    local archive="influxdb3-$v-linux-x86_64.xz"
    echo "== step: verifying $INFLUXDB3_DIST/$archive (SHA256SUMS)"
    grep -q "  $archive\$" "$INFLUXDB3_DIST/SHA256SUMS" || { echo "$archive is not listed in $INFLUXDB3_DIST/SHA256SUMS"; exit 1; }
    (cd "$INFLUXDB3_DIST" && grep "  $archive\$" SHA256SUMS | sha256sum -c --quiet -)
    echo "== step: unpacking with xz"
    mkdir -p "$work/out"
    xz -dc "$INFLUXDB3_DIST/$archive" >"$work/out/influxdb3.part"
    echo "$INFLUXDB3_SHA256  $work/out/influxdb3.part" | sha256sum -c --quiet - ||
      { echo "the unpacked binary's SHA-256 is not $INFLUXDB3_SHA256"; rm -f "$work/out/influxdb3.part"; exit 1; }
    chmod +x "$work/out/influxdb3.part"
    mv "$work/out/influxdb3.part" "$work/out/influxdb3"
    # It starts only with Debian's libpython3.11 (make setup installs it): a missing library fails here, not in a test.
    "$work/out/influxdb3" --version
    return
  fi
  if ! needs_flux "$v"; then
    echo "== step: go install (modules and compiled packages resume from Go's caches)"
    GOBIN="$work/out" "${NICE[@]}" go install -v -ldflags "$ldflags" "$mod/cmd/influxd@v$v"
  else
    local dir fluxver fluxdir
    if [ ! -f "$work/.src-done" ]; then
      echo "== step: downloading the $mod@v$v module"
      rm -rf "$work/src" "$work"/flux@*
      dir="$(cd "$work" && go mod download -json "$mod@v$v" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
      [ -n "$dir" ] || { echo "go mod download $mod@v$v gave no directory"; exit 1; }
      cp -r "$dir" "$work/src" && chmod -R u+w "$work/src"
      cd "$work/src"
      fluxver="$(go list -m -f '{{.Version}}' github.com/influxdata/flux)"
      fluxdir="$(go mod download -json "github.com/influxdata/flux@$fluxver" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
      # The directory name keeps "flux@vX.Y.Z": pkg-config reads the version from it.
      cp -r "$fluxdir" "$work/flux@$fluxver" && chmod -R u+w "$work/flux@$fluxver"
      grep -rl --include='*.rs' 'deny(warnings' "$work/flux@$fluxver/libflux" | xargs -r sed -i 's/deny(warnings/allow(warnings/'
      go mod edit -replace "github.com/influxdata/flux=$work/flux@$fluxver"
      touch "$work/.src-done"
    fi
    cd "$work/src"
    if [ ! -x "$work/bin/pkg-config" ]; then
      echo "== step: building influxdata's pkg-config"
      go build -o "$work/bin/pkg-config" github.com/influxdata/pkg-config
    fi
    # libflux is compiled inside the writable copy (its cargo target directory stays in the work directory, so an
    # interrupted Rust build resumes); pkg-config links the library into GOCACHE.
    echo "== step: building libflux (Rust) and influxd (Go)"
    PATH="$work/bin:$PATH" RUSTUP_TOOLCHAIN=stable "${NICE[@]}" go build -v -ldflags "$ldflags" -o "$work/out/influxd" ./cmd/influxd
  fi
  "$work/out/influxd" version
}

# Every PROGRESS_EVERY seconds, one line: minutes so far against the estimate, the current step, the log's last line.
progress() {
  local v="$1" log="$2" start="$3" est="$4" step last
  while sleep "$PROGRESS_EVERY"; do
    step="$(grep '^== step: ' "$log" | tail -n 1 | cut -c10- | tr -cd '[:print:]' | cut -c1-60)"
    last="$(grep -v '^==' "$log" | tail -n 1 | tr -cd '[:print:]' | cut -c1-70)"
    echo "influxdb-build: $v: $((($(date +%s) - start) / 60)) min of about $est: ${step:-starting}${last:+ ($last)}"
  done
}

build_one() {
  local v="$1" work log start est rc=0
  log="$CACHE/build-$v.log"
  work="$CACHE/.work-$v"
  est="$(estimate_min "$v")"
  exec 9>"$CACHE/.lock-$v"
  if command -v flock >/dev/null && ! flock -n 9; then
    echo "influxdb-build: $v is being built by another run; waiting for it"
    flock 9
  fi
  if [ -x "$(cached_binary "$v")" ]; then
    echo "influxdb-build: $v built by the other run -> $(cached_binary "$v")"
    exec 9>&-
    return 0
  fi
  start=$(date +%s)
  if [ -d "$work" ]; then
    echo "influxdb-build: building $v (about $est min on an idle machine; resuming the interrupted build in $work; log: $log)"
  else
    echo "influxdb-build: building $v (about $est min on an idle machine; log: $log)"
  fi
  mkdir -p "$work"
  echo "== $(date -u +%FT%TZ) building InfluxDB $v" >>"$log"
  progress "$v" "$log" "$start" "$est" &
  TICKER=$!
  # The ticker stops with the build, or with this script when it is interrupted (the work directory stays: resumed).
  trap 'kill $TICKER 2>/dev/null' EXIT
  trap 'kill $TICKER 2>/dev/null; echo "influxdb-build: $v interrupted; the next run resumes from $work" >&2; exit 130' INT TERM
  bash "$0" --build-body "$v" "$work" >>"$log" 2>&1 || rc=$?
  kill "$TICKER" 2>/dev/null
  wait "$TICKER" 2>/dev/null || true
  trap - EXIT INT TERM
  if [ $rc = 0 ]; then
    rm -rf "$CACHE/$v" && mv "$work/out" "$CACHE/$v"
    echo "== $(date -u +%FT%TZ) built $v in $(($(date +%s) - start)) s" >>"$log"
    echo "influxdb-build: $v built in $(($(date +%s) - start)) s -> $(cached_binary "$v")"
    chmod -R u+w "$work" 2>/dev/null || true
    rm -rf "$work"
  else
    echo "== $(date -u +%FT%TZ) failed after $(($(date +%s) - start)) s" >>"$log"
    echo "influxdb-build: $v FAILED after $(($(date +%s) - start)) s, see $log (the next run resumes from $work; remove it to start over)" >&2
  fi
  exec 9>&-
  [ -x "$(cached_binary "$v")" ]
}

# Why a version is not cached, for --status.
why_missing() {
  local v="$1" why
  why="$(missing_toolchains "$v")"
  if [ -n "$why" ] && installed_not_built "$v"; then echo "installed from $INFLUXDB3_DIST, not built: needs $why"
  elif [ -n "$why" ]; then echo "no $why toolchain"
  elif [ -d "$CACHE/.work-$v" ]; then echo "being built, or interrupted (the next make test resumes it from $CACHE/.work-$v)"
  elif compgen -G "$CACHE/.build-$v.*" >/dev/null; then echo "being built (or an interrupted build left $CACHE/.build-$v.*)"
  elif [ -f "$CACHE/build-$v.log" ]; then echo "its build failed, see $CACHE/build-$v.log"
  elif installed_not_built "$v"; then echo "not installed yet (make test installs it from $INFLUXDB3_DIST)"
  else echo "not built yet (make test builds it, about $(estimate_min "$v") min)"
  fi
}

# IG_TEST_MATRIX=skip: the one line saying so.
skipped() {
  echo "influxdb-build: version matrix skipped (IG_TEST_MATRIX=skip, make test MATRIX=skip): the tests use Debian's influxd 1.6.7$(cached | sed -n 's/^InfluxDB builds in the cache: \([0-9].*\) (.*$/ and the cached \1/p')"
}

# The versions already in the cache, in one line.
cached() {
  local have=() v
  for v in "${ALL_VERSIONS[@]}"; do
    [ -x "$(cached_binary "$v")" ] && have+=("$v")
  done
  if [ ${#have[@]} -eq 0 ]; then echo "InfluxDB builds in the cache: none ($CACHE)"
  else echo "InfluxDB builds in the cache: ${have[*]} ($CACHE)"
  fi
}

status() {
  local missing=() v
  if [ "${IG_TEST_MATRIX:-}" = skip ]; then skipped; return; fi
  for v in "${ALL_VERSIONS[@]}"; do
    [ -x "$(cached_binary "$v")" ] || missing+=("$v: $(why_missing "$v")")
  done
  [ ${#missing[@]} -eq 0 ] || echo "InfluxDB versions not tested: $(printf '%s; ' "${missing[@]}" | sed 's/; $//')"

}

main() {
  local versions=() todo=() failed=0 why quiet=0 required=0 total=0 v
  [ "${IG_TEST_MATRIX:-}" = required ] && required=1
  if [ "${1:-}" = --if-toolchains ]; then quiet=1; shift; fi
  if [ "${IG_TEST_MATRIX:-}" = skip ]; then skipped; return 0; fi
  versions=("$@")
  [ ${#versions[@]} -gt 0 ] || versions=("${ALL_VERSIONS[@]}")
  mkdir -p "$CACHE"
  for v in "${versions[@]}"; do
    if [ -x "$(cached_binary "$v")" ]; then
      [ $quiet = 1 ] || echo "influxdb-build: $v already cached ($(cached_binary "$v"))"
      continue
    fi
    why="$(missing_toolchains "$v")"
    if [ -n "$why" ]; then
      if [ $quiet = 0 ] || [ $required = 1 ]; then
        echo "influxdb-build: $v skipped: needs $why" >&2
        failed=1
      fi
      continue
    fi
    todo+=("$v")
    total=$((total + $(estimate_min "$v")))
  done
  if [ ${#todo[@]} -gt 0 ]; then
    local how="building InfluxDB ${todo[*]} from source"
    [[ " ${todo[*]}" == *" 3."* ]] && how="building InfluxDB ${todo[*]} from source (3.x: installed from $INFLUXDB3_DIST)"
    if [[ " ${todo[*]} " != *" 1."* && " ${todo[*]} " != *" 2."* ]]; then
      # Only InfluxDB 3, which is unpacked, not built (the demo installs it too).
      echo "influxdb-build: installing InfluxDB ${todo[*]} (built elsewhere) from $INFLUXDB3_DIST: under a minute"
    else
      echo "influxdb-build: $how for the test matrix: about $total min on an idle 2-core machine (longer when busy; a progress line every minute; an interrupted build resumes). To skip: make test MATRIX=skip"
    fi
  fi
  for v in "${todo[@]}"; do
    if ! build_one "$v"; then
      [ $quiet = 1 ] && [ $required = 0 ] || failed=1
    fi
  done
  return $failed
}

# One compound command ending in exit: bash never reads past it, so the file may be replaced while a build runs.
if [ "${1:-}" = --build-body ]; then
  build_body "$2" "$3"
  exit
elif [ "${1:-}" = --status ]; then
  status
  exit
elif [ "${1:-}" = --cached ]; then
  cached
  exit
else
  main "$@"
  exit
fi
