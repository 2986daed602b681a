#!/usr/bin/env bash
# ferry against the floor at fleet scale: N loopback sshd hosts (scripts/testhosts.sh), a
# playbook of K `command: /bin/true` tasks, run by ferry and by bench/bare_ssh.rs (a bare
# russh client: one connection and one `sh` per host, nothing else) and, with PYINFRA=1, by
# pyinfra (PyPI, scripts/pyinfra-venv.sh; K `server.shell` operations, all hosts in parallel).
# Prints wall seconds and peak memory (best of R runs) and each tool's ratio to the floor.
# Usage: [PYINFRA=1] bench/scale.sh [N=500] [K=10] [R=3]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-500}; k=${2:-10}; r=${3:-3}
dir="${BENCH_DIR:-/tmp/ferry-scale}"
command -v /usr/bin/time >/dev/null || { apt-get install -y -qq time >/dev/null; }
# shellcheck source=bench/common.sh
source bench/common.sh "$n" "$dir"
cargo build --release -q --example bare_ssh
bare="$CARGO_TARGET_DIR/release/examples/bare_ssh"
pb="$dir/scale-$k.yml"
{ echo "- hosts: all"; echo "  gather_facts: no"; echo "  tasks:"
  for i in $(seq 1 "$k"); do echo "    - command: /bin/true"; done; } > "$pb"

# best_mem CMD...: "SECONDS MiB" of the fastest of $r runs.
best_mem() {
  local best="" out
  for _ in $(seq 1 "$r"); do
    out=$(/usr/bin/time -f "%e %M" "$@" 2>&1 >/dev/null | tail -1) || { echo "FAILED: $*" >&2; return 1; }
    local t=${out% *} kb=${out#* }
    if [ -z "$best" ] || [ "$(echo "$t < ${best% *}" | bc)" = 1 ]; then
      best="$t $(echo "scale=1; $kb / 1024" | bc)"
    fi
  done
  echo "$best"
}
# ferry starts with the usual soft limit of 1,024 open files and raises it itself; the bare
# client is given the hard limit.
f=$(ulimit -Sn 1024; best_mem "$ferry" run "$pb" -i "$dir/inventory.ini" --known-hosts "$dir/known_hosts")
b=$(ulimit -Sn "$(ulimit -Hn)"; best_mem "$bare" "$dir/inventory.ini" "$k")
echo "hosts=$n tasks=$k ferry=${f% *}s (${f#* } MiB peak) bare russh=${b% *}s (${b#* } MiB peak)"
echo "ratio to the floor: $(echo "scale=2; ${f% *} / ${b% *}" | bc)x"
if [ "${PYINFRA:-0}" = 1 ]; then
  pyinfra=$(bash scripts/pyinfra-venv.sh)
  # The same hosts, keys and known_hosts, as a pyinfra inventory; K operations like the tasks.
  python3 - "$dir/inventory.ini" "$dir/known_hosts" "$dir/pyinfra_inventory.py" <<'PY'
import sys
ini, known, out = sys.argv[1:4]
hosts = []
for line in open(ini):
    f = line.split()
    if not f or f[0].startswith("["):
        continue
    kv = dict(x.split("=", 1) for x in f[1:])
    hosts.append((f[0], {"ssh_hostname": kv["ansible_host"], "ssh_port": int(kv["ansible_port"]),
                         "ssh_user": kv["ansible_user"], "ssh_key": kv["ansible_ssh_private_key_file"],
                         "ssh_known_hosts_file": known, "ssh_strict_host_key_checking": "yes"}))
open(out, "w").write("hosts = %r\n" % hosts)
PY
  { echo "from pyinfra.operations import server"
    for i in $(seq 1 "$k"); do echo "server.shell(name='true $i', commands=['/bin/true'])"; done; } > "$dir/pyinfra_deploy.py"
  p=$(ulimit -Sn "$(ulimit -Hn)"; cd "$dir" && best_mem "$pyinfra" -y --parallel "$n" pyinfra_inventory.py pyinfra_deploy.py)
  echo "pyinfra=${p% *}s (${p#* } MiB peak); ratio to the floor: $(echo "scale=2; ${p% *} / ${b% *}" | bc)x"
fi
