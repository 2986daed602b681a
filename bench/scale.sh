#!/usr/bin/env bash
# ferry against the floor at fleet scale: N loopback sshd hosts (scripts/testhosts.sh), a
# playbook of K `command: /bin/true` tasks, run by ferry and by bench/bare_ssh.rs (a bare
# russh client: one connection and one `sh` per host, nothing else). Prints wall seconds and
# peak memory (best of R runs) and ferry's ratio to the floor.
# Usage: bench/scale.sh [N=500] [K=10] [R=3]
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
