#!/usr/bin/env bash
# pyinfra from PyPI in a venv (~/.cache/ferry-pyinfra-venv), for bench/scale.sh's comparison.
# Prints the path of the pyinfra command.
set -euo pipefail
venv="${FERRY_PYINFRA_VENV:-$HOME/.cache/ferry-pyinfra-venv}"
version="3.10.0"
if ! "$venv/bin/pyinfra" --version 2>/dev/null | grep -q "v$version"; then
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install -q "pyinfra==$version" >&2
fi
echo "$venv/bin/pyinfra"
