#!/usr/bin/env bash
# The files workload: 20 small files (4 kB each, one `copy` task looping over them) and one
# 10 MB file, to N loopback sshd hosts. Times ferry over SFTP (the default), ferry piped
# through `cat` (ansible_ssh_transfer_method=piped), and ansible-playbook, each cold (nothing
# on the hosts) and warm (everything already there: nothing changes). Best of R runs.
# Usage: bench/files.sh [N=10] [R=3]   (NO_ANSIBLE=1: ferry only)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10}; r=${2:-3}
dir="${BENCH_DIR:-/tmp/ferry-bench-files}"
# shellcheck source=bench/common.sh
source bench/common.sh "$n" "$dir"
src="$dir/payload"; mkdir -p "$src/small"
for i in $(seq -w 1 20); do head -c 4096 /dev/urandom > "$src/small/f$i"; done
head -c $((10 * 1024 * 1024)) /dev/urandom > "$src/big.bin"
pb="$dir/files.yml"
cat > "$pb" <<YML
- hosts: all
  gather_facts: no
  tasks:
    - file: {path: "{{ host_dir }}/dest", state: directory}
    - copy: {src: "$src/small/{{ item }}", dest: "{{ host_dir }}/dest/{{ item }}"}
      loop: [$(seq -f 'f%02g' -s ', ' 1 20)]
    - copy: {src: "$src/big.bin", dest: "{{ host_dir }}/dest/big.bin"}
YML
clean() { for h in "$dir"/host*/; do rm -rf "$h/dest"; done; }
run_ferry() { "$ferry" run "$pb" -i "$dir/inventory.ini" --known-hosts "$dir/known_hosts" "$@"; }
fc=$(BEFORE=clean best run_ferry); fw=$(best run_ferry)
pc=$(BEFORE=clean best run_ferry -e ansible_ssh_transfer_method=piped)
pw=$(best run_ferry -e ansible_ssh_transfer_method=piped)
echo "hosts=$n ferry sftp: cold=${fc}s warm=${fw}s | ferry piped: cold=${pc}s warm=${pw}s"
if [ -z "${NO_ANSIBLE:-}" ] && ap=$(bash scripts/ansible-venv.sh 2>/dev/null); then
  export ANSIBLE_SSH_ARGS="-o UserKnownHostsFile=$dir/known_hosts -o ControlMaster=auto -o ControlPersist=60s"
  export ANSIBLE_HOST_KEY_CHECKING=True ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3
  ac=$(BEFORE=clean best "$ap" "$pb" -i "$dir/inventory.ini"); aw=$(best "$ap" "$pb" -i "$dir/inventory.ini")
  echo "ansible-playbook (forks 5): cold=${ac}s warm=${aw}s"
  echo "ratio: cold $(echo "scale=1; $ac / $fc" | bc)x, warm $(echo "scale=1; $aw / $fw" | bc)x"
else
  echo "ansible-playbook not available: no ratio"
fi
