#!/usr/bin/env bash
# Makes (once) a Python venv with moto's server (a local EC2 API) and boto3 for the EC2
# inventory tests, and prints the path of its python. The venv lives outside the checkout.
set -euo pipefail
venv="${FERRY_MOTO_VENV:-$HOME/.cache/ferry-moto-venv}"
if [ ! -x "$venv/bin/moto_server" ] || ! "$venv/bin/python" -c 'import boto3, moto' 2>/dev/null; then
  if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
    sudo_=""; [ "$(id -u)" = 0 ] || sudo_=sudo
    $sudo_ apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq python3-venv >&2
  fi
  rm -rf "$venv"
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install -q 'moto[server]==5.*' 'boto3' >&2
fi
echo "$venv/bin/python"
