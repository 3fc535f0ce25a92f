#!/usr/bin/env bash
# A new user's first commands, measured on this machine (issue 28): a fresh clone of the current commit in a
# temporary directory, with its own empty InfluxDB cache (INFLUXGUARD_CACHE), pip cache and compile cache, and
# Debian's own /usr/bin/python3 first (pyenv and the like are taken off PATH), runs
#   1. make demo      (cold: Node 24 into .node when the machine's is older, npm ci, .venv-moto, the demo)
#   2. make demo      (warm)
#   3. npm pack, installed into an empty prefix, and `influxguard --version` from outside the repository, under
#      the clone's Node 24 and every other node binary named in CHECK_NODES (space-separated): stderr must be empty.
# FRESH_NPM=1 also gives npm an empty cache (everything downloaded from the registry; about 550 MB).
# Needs the network (npm, PyPI); prints one line per step with its seconds, and fails when a step does.
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/influxguard-first-hour.XXXXXX")"
echo "first-hour: fresh clone of $(git -C "$src" rev-parse --short HEAD) in $tmp"
git clone -q "$src" "$tmp/influxguard"
cd "$tmp/influxguard"

# Debian's python3 and the machine's own node first: no pyenv, nvm or project .node of another checkout.
PATH="$(printf '%s' "$PATH" | tr ':' '\n' | grep -v -e pyenv -e '/\.node/' -e nvm | paste -sd: -)"
PATH="/usr/bin:$PATH"
export PATH INFLUXGUARD_CACHE="$tmp/cache" PIP_CACHE_DIR="$tmp/pip-cache" XDG_CACHE_HOME="$tmp/xdg-cache"
[ "${FRESH_NPM:-}" = 1 ] && export npm_config_cache="$tmp/npm-cache"
echo "first-hour: python3 is $(command -v python3) ($(python3 --version)); node is $(command -v node) ($(node --version)); load $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"

step() {
  local name="$1" log="$tmp/$2.log" start
  shift 2
  start=$(date +%s)
  if "$@" >"$log" 2>&1; then
    echo "first-hour: $name: $(($(date +%s) - start)) s (log: $log)"
  else
    echo "first-hour: $name FAILED after $(($(date +%s) - start)) s; the log's end:" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
}

step "make demo (cold)" demo-cold make demo
step "make demo (warm)" demo-warm make demo
for log in demo-cold demo-warm; do
  grep -q 'influx-prod-public' "$tmp/$log.log" || { echo "first-hour: $log: no demo table" >&2; exit 1; }
  if grep -q 'influxdb-build: building' "$tmp/$log.log"; then echo "first-hour: $log built InfluxDB" >&2; exit 1; fi
done
grep -h -e '^InfluxDB builds in the cache' -e '^demo: .*2\.7\.12' "$tmp/demo-cold.log" | sed 's/^/first-hour: /'
# moto ran from the venv Debian's python3 made.
grep -qx 'home = /usr/bin' .venv-moto/pyvenv.cfg || { echo "first-hour: .venv-moto was not made by /usr/bin/python3" >&2; exit 1; }
echo "first-hour: .venv-moto made by $(sed -n 's/^executable = //p' .venv-moto/pyvenv.cfg); moto $(.venv-moto/bin/python -c 'import moto; print(moto.__version__)'), $(.venv-moto/bin/cfn-lint --version)"

# The package: packed, installed into an empty prefix, run from elsewhere.
node24="$PWD/.node/node_modules/.bin"
[ -x "$node24/node" ] || node24="$(dirname "$(command -v node)")"
step "npm pack" pack env PATH="$node24:$PATH" npm pack --pack-destination "$tmp" --no-update-notifier
step "npm install --global the tarball" install env PATH="$node24:$PATH" npm install --global --prefix "$tmp/prefix" --no-audit --no-fund --no-update-notifier "$tmp"/influxguard-*.tgz
if grep -i -e warn -e ERR "$tmp/install.log"; then echo "first-hour: npm install warned" >&2; exit 1; fi
cd "$tmp"
for node in "$node24/node" ${CHECK_NODES:-}; do
  out="$(PATH="$(dirname "$node"):/usr/bin:/bin" "$tmp/prefix/bin/influxguard" --version 2>"$tmp/version.err")"
  PATH="$(dirname "$node"):/usr/bin:/bin" "$tmp/prefix/bin/influxguard" scan --help >/dev/null 2>>"$tmp/version.err" || echo "scan --help exited $?" >>"$tmp/version.err"
  if [ -s "$tmp/version.err" ]; then
    echo "first-hour: influxguard --version or scan --help on node $("$node" --version) failed or printed to stderr:" >&2
    cat "$tmp/version.err" >&2
    exit 1
  fi
  echo "first-hour: influxguard --version and scan --help on node $("$node" --version), installed from the tarball, outside the repository: $out (exit 0, stderr empty)"
done
echo "first-hour: done ($tmp can be removed)"
