#!/usr/bin/env bash
# Build real InfluxDB servers from the Go module proxy into a cache, for the
# probe and host tests' version matrix (issue 14):
#   ${INFLUXGUARD_CACHE:-$HOME/.cache/influxguard}/influxdb/<version>/influxd
#
#   scripts/influxdb-build.sh [VERSION...]     build (default: every version below)
#   scripts/influxdb-build.sh --if-toolchains  build what this machine's toolchains can, quietly skip the rest
#   scripts/influxdb-build.sh --status         one line naming the versions not cached, and why (nothing if all are)
#
# IG_TEST_MATRIX=required (.ci/run): a version that cannot be built is a failure.
#
# Idempotent: a version already in the cache is skipped. Each build happens in
# a temporary directory next to the cache and is renamed into place only when
# it succeeded, so a cached binary is always complete. Output goes to
# <cache>/influxdb/build-<version>.log; the build time is printed at the end.
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

ALL_VERSIONS=(1.8.10 1.13.2 2.7.12)
CACHE="${INFLUXGUARD_CACHE:-$HOME/.cache/influxguard}/influxdb"
NICE=(nice -n 10)

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

missing_toolchains() {
  local v="$1" missing=()
  command -v go >/dev/null || missing+=(Go)
  if needs_flux "$v"; then
    command -v cargo >/dev/null || missing+=(Rust)
  fi
  (IFS=+; echo "${missing[*]}")
}

# One build, in its own process so that `set -e` holds (it would not inside a `||` list).
build_body() {
  local v="$1" tmp="$2" mod ldflags
  mod="$(module_of "$v")"
  ldflags="$(ldflags_of "$v")"
  export GOFLAGS=-mod=mod GOTOOLCHAIN=local
  if ! needs_flux "$v"; then
    GOBIN="$tmp/out" "${NICE[@]}" go install -ldflags "$ldflags" "$mod/cmd/influxd@v$v"
  else
    local dir fluxver fluxdir
    dir="$(cd "$tmp" && go mod download -json "$mod@v$v" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
    [ -n "$dir" ] || { echo "go mod download $mod@v$v gave no directory"; exit 1; }
    cp -r "$dir" "$tmp/src" && chmod -R u+w "$tmp/src"
    cd "$tmp/src"
    fluxver="$(go list -m -f '{{.Version}}' github.com/influxdata/flux)"
    fluxdir="$(go mod download -json "github.com/influxdata/flux@$fluxver" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
    # The directory name keeps "flux@vX.Y.Z": pkg-config reads the version from it.
    cp -r "$fluxdir" "$tmp/flux@$fluxver" && chmod -R u+w "$tmp/flux@$fluxver"
    grep -rl --include='*.rs' 'deny(warnings' "$tmp/flux@$fluxver/libflux" | xargs -r sed -i 's/deny(warnings/allow(warnings/'
    go mod edit -replace "github.com/influxdata/flux=$tmp/flux@$fluxver"
    go build -o "$tmp/bin/pkg-config" github.com/influxdata/pkg-config
    # libflux is compiled inside the writable copy; pkg-config links the library into GOCACHE.
    PATH="$tmp/bin:$PATH" RUSTUP_TOOLCHAIN=stable "${NICE[@]}" go build -ldflags "$ldflags" -o "$tmp/out/influxd" ./cmd/influxd
  fi
  "$tmp/out/influxd" version
}

build_one() {
  local v="$1" tmp log start
  log="$CACHE/build-$v.log"
  tmp="$(mktemp -d "$CACHE/.build-$v.XXXXXX")"
  start=$(date +%s)
  echo "influxdb-build: building $v (log: $log)"
  echo "== $(date -u +%FT%TZ) building InfluxDB $v" >>"$log"
  if bash "$0" --build-body "$v" "$tmp" >>"$log" 2>&1; then
    rm -rf "$CACHE/$v" && mv "$tmp/out" "$CACHE/$v"
    echo "== $(date -u +%FT%TZ) built $v in $(($(date +%s) - start)) s" >>"$log"
    echo "influxdb-build: $v built in $(($(date +%s) - start)) s -> $CACHE/$v/influxd"
  else
    echo "influxdb-build: $v FAILED after $(($(date +%s) - start)) s, see $log" >&2
  fi
  chmod -R u+w "$tmp" 2>/dev/null || true
  rm -rf "$tmp"
  [ -x "$CACHE/$v/influxd" ]
}

# Why a version is not cached, for --status.
why_missing() {
  local v="$1" why
  why="$(missing_toolchains "$v")"
  if [ -n "$why" ]; then echo "no $why toolchain"
  elif compgen -G "$CACHE/.build-$v.*" >/dev/null; then echo "being built (or an interrupted build left $CACHE/.build-$v.*)"
  elif [ -f "$CACHE/build-$v.log" ]; then echo "its build failed, see $CACHE/build-$v.log"
  else echo "not built yet (make setup)"
  fi
}

status() {
  local missing=() v
  for v in "${ALL_VERSIONS[@]}"; do
    [ -x "$CACHE/$v/influxd" ] || missing+=("$v: $(why_missing "$v")")
  done
  [ ${#missing[@]} -eq 0 ] || echo "InfluxDB versions not tested: $(printf '%s; ' "${missing[@]}" | sed 's/; $//')"

}

main() {
  local versions=() failed=0 why quiet=0 required=0
  [ "${IG_TEST_MATRIX:-}" = required ] && required=1
  if [ "${1:-}" = --if-toolchains ]; then quiet=1; shift; fi
  versions=("$@")
  [ ${#versions[@]} -gt 0 ] || versions=("${ALL_VERSIONS[@]}")
  mkdir -p "$CACHE"
  for v in "${versions[@]}"; do
    if [ -x "$CACHE/$v/influxd" ]; then
      [ $quiet = 1 ] || echo "influxdb-build: $v already cached ($CACHE/$v/influxd)"
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
else
  main "$@"
  exit
fi
