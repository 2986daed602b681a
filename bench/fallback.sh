#!/usr/bin/env bash
# The per-task cost of modules ferry has no native code for (issue 16): N loopback sshd hosts,
# a playbook of K tasks of `ansible.builtin.ping` (ansible-core's module, run through ferry's
# packaging) and one of K `community.general.ini_file` tasks (a collection module importing
# module_utils), timed through ferry and ansible-playbook; beside them K native
# `command: /bin/true` tasks through ferry. Wall seconds, best of R runs; the first ferry run
# also builds the packages (cached after it, on the controller and on the hosts).
# Usage: bench/fallback.sh [N=10] [K=10] [R=3]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10}; k=${2:-10}; r=${3:-3}
dir="${BENCH_DIR:-/tmp/ferry-bench-fallback}"
# ping and ini_file are also native ferry modules now: run them as Ansible runs them.
export FERRY_FALLBACK_MODULES="ansible.builtin.ping,community.general.ini_file"
# shellcheck source=bench/common.sh
source bench/common.sh "$n" "$dir"
ap=$(bash scripts/ansible-venv.sh 2>/dev/null)
collections=$(bash scripts/corpus.sh 2>/dev/null)
export PATH="$(dirname "$ap"):$PATH" ANSIBLE_COLLECTIONS_PATH="$collections"
play() { # $1: file, $2: task text
  { echo "- hosts: all"; echo "  gather_facts: no"; echo "  tasks:"
    for i in $(seq 1 "$k"); do echo "    - $2"; done; } > "$1"
}
play "$dir/native.yml" "command: /bin/true"
play "$dir/ping.yml" "ansible.builtin.ping:"
play "$dir/ini.yml" "community.general.ini_file: {path: '{{ host_dir }}/bench.ini', section: s, option: o, value: v}"
echo "hosts=$n tasks=$k"
for pb in native ping ini; do
  f=$(best "$ferry" run "$dir/$pb.yml" -i "$dir/inventory.ini" --known-hosts "$dir/known_hosts")
  echo "ferry $pb: ${f}s"
done
export ANSIBLE_SSH_ARGS="-o UserKnownHostsFile=$dir/known_hosts -o ControlMaster=auto -o ControlPersist=60s"
export ANSIBLE_HOST_KEY_CHECKING=True ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3
for pb in ping ini; do
  a=$(best "$ap" "$dir/$pb.yml" -i "$dir/inventory.ini" -f "$n")
  echo "ansible-playbook -f $n $pb: ${a}s"
done
