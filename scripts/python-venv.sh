#!/bin/sh
# A project-local Python virtual environment with packages from PyPI:
#   scripts/python-venv.sh DIR REQUIREMENT...      e.g. scripts/python-venv.sh .venv-moto 'moto[server]>=5.1'
# Debian's own python3 is "externally managed" (PEP 668): pip installs into a venv, never into the system.
# The venv is made by $PYTHON (default: python3 on PATH); Debian's python3-venv is installed (apt-install.sh)
# when the interpreter cannot make one. DIR/.setup-done marks a complete venv; an incomplete one is made again.
set -eu
dir=$1
shift
python=${PYTHON:-python3}
here=$(dirname "$0")
[ -f "$dir/.setup-done" ] && exit 0
command -v "$python" >/dev/null 2>&1 || "$here/apt-install.sh" python3
rm -rf "$dir"
if ! "$python" -m venv "$dir" >/dev/null 2>&1; then
  rm -rf "$dir"
  # Debian keeps ensurepip (what venv uses to install pip) in python3-venv.
  "$here/apt-install.sh" python3-venv
  "$python" -m venv "$dir"
fi
echo "setup: $dir: pip install $*" >&2
"$dir/bin/python" -m pip install --quiet "$@"
touch "$dir/.setup-done"
