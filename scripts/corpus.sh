#!/usr/bin/env bash
# Installs (once) the corpus of the syntax-check comparison (tests/corpus.rs): the community
# `ansible` package from PyPI, pinned to a release built for ansible-core 2.18, unpacked without
# its dependencies outside the checkout. Prints the directory that holds its
# `ansible_collections/` (what ANSIBLE_COLLECTIONS_PATH names). Fast when already there.
set -euo pipefail
version=11.13.0 # ansible 11.x requires ansible-core ~= 2.18 (11.13.0: ~= 2.18.12)
dir="${FERRY_CORPUS_CACHE:-$HOME/.cache/ferry-corpus}/ansible-$version"
if [ ! -f "$dir/.complete" ]; then
  pip="$(dirname "$(bash "$(dirname "$0")/ansible-venv.sh")")/pip"
  rm -rf "$dir"
  "$pip" install -q --no-deps --no-compile --target "$dir" "ansible==$version" >&2
  touch "$dir/.complete"
fi
echo "$dir"
