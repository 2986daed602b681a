#!/usr/bin/env bash
# Makes (once) a Python venv with ansible-core 2.18 for the conformance tests and the benchmark,
# and prints the path of its ansible-playbook. The venv lives outside the checkout.
set -euo pipefail
venv="${FERRY_VENV:-$HOME/.cache/ferry-venv}"
if [ ! -x "$venv/bin/ansible-playbook" ]; then
  if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
    sudo_=""; [ "$(id -u)" = 0 ] || sudo_=sudo
    $sudo_ apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq python3-venv >&2
  fi
  rm -rf "$venv"
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install -q 'ansible-core==2.18.*' >&2
fi
# passlib: what password_hash needs on an Ansible controller (the templating oracle uses it).
if ! "$venv/bin/python" -c 'import passlib' >/dev/null 2>&1; then
  "$venv/bin/pip" install -q 'passlib==1.7.*' >&2
fi
# boto3: what amazon.aws's lookups need on a controller (the AWS lookup conformance test).
if ! "$venv/bin/python" -c 'import boto3' >/dev/null 2>&1; then
  "$venv/bin/pip" install -q 'boto3' >&2
fi
# jmespath: what community.general.json_query needs on a controller (tests/template_plugins.rs).
if ! "$venv/bin/python" -c 'import jmespath' >/dev/null 2>&1; then
  "$venv/bin/pip" install -q 'jmespath' >&2
fi
echo "$venv/bin/ansible-playbook"
