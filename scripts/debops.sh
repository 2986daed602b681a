#!/usr/bin/env bash
# Installs (once) DebOps from PyPI (`debops`, which carries the debops.debops collection) for
# tests/template_plugins.rs, unpacked without its dependencies outside the checkout. Prints the
# directory that holds its `ansible_collections/` (what ANSIBLE_COLLECTIONS_PATH names).
set -euo pipefail
version=3.3.2
dir="${FERRY_DEBOPS_CACHE:-$HOME/.cache/ferry-debops}/debops-$version"
if [ ! -f "$dir/.complete" ]; then
  pip="$(dirname "$(bash "$(dirname "$0")/ansible-venv.sh")")/pip"
  rm -rf "$dir"
  "$pip" install -q --no-deps --no-compile --target "$dir" "debops==$version" >&2
  touch "$dir/.complete"
fi
echo "$dir/debops/_data/ansible/collections"
