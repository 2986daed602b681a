#!/usr/bin/env bash
# ferry vs ansible-playbook on the same N loopback sshd hosts, a playbook of K
# `command: /bin/true` tasks (gather_facts: no). Prints wall seconds (best of R runs) and the
# ratio. Usage: bench/run.sh [N=10] [K=10] [R=3]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10}; k=${2:-10}; r=${3:-3}
dir="${BENCH_DIR:-/tmp/ferry-bench}"
# shellcheck source=bench/common.sh
source bench/common.sh "$n" "$dir"
pb="$dir/bench-$k.yml"
{ echo "- hosts: all"; echo "  gather_facts: no"; echo "  tasks:"
  for i in $(seq 1 "$k"); do echo "    - command: /bin/true"; done; } > "$pb"

f=$(best "$ferry" run "$pb" -i "$dir/inventory.ini" --known-hosts "$dir/known_hosts")
fx=$(FERRY_TRANSPORT=exec best "$ferry" run "$pb" -i "$dir/inventory.ini" --known-hosts "$dir/known_hosts")
echo "hosts=$n tasks=$k ferry=${f}s ferry(exec channels)=${fx}s"
if [ -z "${NO_ANSIBLE:-}" ] && ap=$(bash scripts/ansible-venv.sh 2>/dev/null); then
  export ANSIBLE_SSH_ARGS="-o UserKnownHostsFile=$dir/known_hosts -o ControlMaster=auto -o ControlPersist=60s"
  export ANSIBLE_HOST_KEY_CHECKING=True ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3
  a=$(best "$ap" "$pb" -i "$dir/inventory.ini")
  af=$(best "$ap" "$pb" -i "$dir/inventory.ini" -f "$n")
  echo "ansible-playbook=${a}s (forks 5)  ansible-playbook -f $n=${af}s"
  echo "ratio: $(echo "scale=1; $a / $f" | bc)x faster than default ansible, $(echo "scale=1; $af / $f" | bc)x than -f $n"
else
  echo "ansible-playbook not available: no ratio"
fi
