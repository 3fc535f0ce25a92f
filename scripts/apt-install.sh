#!/bin/sh
# Install Debian packages that are missing, as root or through sudo:
#   scripts/apt-install.sh [COMMAND:]PACKAGE...
# COMMAND:PACKAGE is skipped when COMMAND is on PATH; a bare PACKAGE when dpkg has it installed.
# Not root and no sudo (or not a Debian/Ubuntu machine): says which packages are needed and how, and fails.
set -eu
missing=""
for spec in "$@"; do
  case "$spec" in
    *:*) command -v "${spec%%:*}" >/dev/null 2>&1 || missing="$missing ${spec#*:}" ;;
    *) dpkg-query -W -f='${Status}' "$spec" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $spec" ;;
  esac
done
[ -n "$missing" ] || exit 0
missing="${missing# }"
if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup: needs the Debian packages $missing (or their equivalents): this is not a Debian/Ubuntu machine (no apt-get); install them and run make again" >&2
  exit 1
fi
if [ "$(id -u)" = 0 ]; then
  as=""
elif command -v sudo >/dev/null 2>&1; then
  as="sudo"
  echo "setup: installing $missing with sudo apt-get (sudo may ask for your password)" >&2
else
  echo "setup: needs the Debian packages $missing, and installing them needs root: run as root, or install sudo, or run: apt-get install $missing (as root), then make again" >&2
  exit 1
fi
echo "setup: apt-get install $missing" >&2
# shellcheck disable=SC2086 # $as and $missing are word lists
if ! { $as apt-get update -qq && $as env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing; }; then
  echo "setup: apt-get install $missing failed${as:+ (through sudo)}: install them yourself, then run make again" >&2
  exit 1
fi
