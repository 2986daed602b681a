#!/bin/bash
# bench/templates.sh [FERRY] [RUNS]: times a lookup-heavy template (a copy whose content loops
# over 5,000 dicts with five lookups per line, 20 tasks, localhost) with the ferry binary
# FERRY (default: target/release/ferry, else target/debug/ferry). No SSH: templating only.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
ferry=${1:-}
[ -z "$ferry" ] || ferry=$(cd "$(dirname "$ferry")" && pwd)/$(basename "$ferry")
[ -n "$ferry" ] || { [ -x "$root/target/release/ferry" ] && ferry=$root/target/release/ferry || ferry=$root/target/debug/ferry; }
runs=${2:-3}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
python3 - "$dir" <<'PY'
import json, sys
d = sys.argv[1]
hosts = [{"name": f"h{i}", "ip": {"addr": f"10.0.{i // 250}.{i % 250}", "mask": 24}, "tags": ["a", "b"]} for i in range(5000)]
json.dump({"hostsl": hosts}, open(f"{d}/vars.json", "w"))
pb = "- hosts: localhost\n  gather_facts: false\n  vars_files: [vars.json]\n  tasks:\n"
for i in range(20):
    pb += (f"    - copy:\n        dest: {d}/out{i}.txt\n        content: |\n"
           "          {% for h in hostsl %}{{ h.name }} {{ h.ip.addr }}/{{ h.ip.mask }} {{ h.tags[0] }} {{ loop.index }}\n"
           "          {% endfor %}\n")
open(f"{d}/pb.yml", "w").write(pb)
PY
cd "$dir"
for _ in $(seq "$runs"); do
  /usr/bin/time -f "%e s" "$ferry" run pb.yml >/dev/null
done 2>&1 | sort -n | head -1 | sed "s|^|$ferry: best of $runs: |"
