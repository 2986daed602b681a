# Shared by the bench scripts: builds ferry (release), starts $1 loopback sshd hosts in $2
# (stopped on exit), sets $ferry, and defines `best`. Source it from the project root.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ferry-target}"
cargo build --release -q
ferry="$CARGO_TARGET_DIR/release/ferry"
bench_dir="$2"
bash scripts/testhosts.sh stop "$bench_dir" 2>/dev/null || true
bash scripts/testhosts.sh start "$1" "$bench_dir" >/dev/null
trap 'bash scripts/testhosts.sh stop "$bench_dir"' EXIT

# best wall time of $r runs of "$@"; with BEFORE set, that command runs before each run.
best() {
  local b=""
  for _ in $(seq 1 "$r"); do
    if [ -n "${BEFORE:-}" ]; then $BEFORE; fi
    local s e t; s=$(date +%s.%N); "$@" >/dev/null 2>&1 || { echo "FAILED: $*" >&2; return 1; }; e=$(date +%s.%N)
    t=$(echo "$e - $s" | bc); if [ -z "$b" ] || [ "$(echo "$t < $b" | bc)" = 1 ]; then b=$t; fi
  done
  printf '%.2f' "$b"
}
