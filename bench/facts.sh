#!/usr/bin/env bash
# Fact gathering vs one command: ferry on the same N loopback sshd hosts runs (a) a play that
# only gathers facts and (b) a play of one `command: /bin/true` without facts. Prints wall
# seconds (best of R runs) and the ratio; issue 15 asks for ≤ 2x. With ansible-playbook
# available, its gathering is timed too. Usage: bench/facts.sh [N=50] [R=3]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-50}; r=${2:-3}
dir="${BENCH_DIR:-/tmp/ferry-bench-facts}"
# shellcheck source=bench/common.sh
source bench/common.sh "$n" "$dir"
printf -- '- hosts: all\n  gather_facts: yes\n  tasks: []\n' > "$dir/facts.yml"
printf -- '- hosts: all\n  gather_facts: no\n  tasks:\n    - command: /bin/true\n' > "$dir/command.yml"
printf -- '- hosts: all\n  gather_facts: no\n  tasks: []\n' > "$dir/nothing.yml"
run() { "$ferry" run "$1" -i "$dir/inventory.ini" --known-hosts "$dir/known_hosts" -f "$n"; }
g=$(best run "$dir/facts.yml")
c=$(best run "$dir/command.yml")
z=$(best run "$dir/nothing.yml")
echo "hosts=$n gather_facts=${g}s one_command=${c}s empty_play=${z}s"
echo "ratio: gathering costs $(echo "scale=2; $g / $c" | bc)x one command"
if [ -z "${NO_ANSIBLE:-}" ] && ap=$(bash scripts/ansible-venv.sh 2>/dev/null); then
  export ANSIBLE_SSH_ARGS="-o UserKnownHostsFile=$dir/known_hosts -o ControlMaster=auto -o ControlPersist=60s"
  export ANSIBLE_HOST_KEY_CHECKING=True ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3
  a=$(best "$ap" "$dir/facts.yml" -i "$dir/inventory.ini" -f "$n")
  echo "ansible-playbook -f $n gather_facts=${a}s"
fi
