#!/bin/sh
# Run a command in a private network namespace with only loopback up, so that
# tests, the demo and benchmarks cannot reach anything but 127.0.0.0/8.
# Falls back to running it directly (with a warning) where namespaces are not allowed.
# Node 24 installed by `make setup` into .node/ (when the machine's node is older) comes first on PATH.
node_bin="$(cd "$(dirname "$0")/.." && pwd)/.node/node_modules/.bin"
[ -x "$node_bin/node" ] && PATH="$node_bin:$PATH" && export PATH
if [ "${INFLUXGUARD_NO_SANDBOX:-}" != "1" ] && unshare -n true 2>/dev/null; then
  exec unshare -n sh -c 'ip link set lo up 2>/dev/null || ifconfig lo up 2>/dev/null; exec "$@"' sh "$@"
fi
echo "sandbox: network namespaces unavailable; running without network isolation" >&2
exec "$@"
