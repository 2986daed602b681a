#!/usr/bin/env bash
# Runs every fuzz target in fuzz/ for SECONDS each (default 20) with libFuzzer, on the stable
# toolchain (RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass its flags; no sanitizer), and prints each
# target's totals. Exits non-zero on the first crash (libFuzzer leaves the input in
# fuzz/artifacts/<target>/). Installs cargo-fuzz when missing. Corpora live outside the
# checkout (~/.cache/ferry-fuzz), so reruns build on what earlier runs found.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
secs=${1:-20}
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked -q
export RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$HOME/.cache/ferry-fuzz-target}"
corpora="${FUZZ_CORPUS_DIR:-$HOME/.cache/ferry-fuzz}"
for target in yaml playbook template inventory vault; do
  mkdir -p "$corpora/$target"
  log=$(mktemp)
  if ! cargo fuzz run -s none "$target" "$corpora/$target" -- -max_total_time="$secs" \
      -print_final_stats=1 >"$log" 2>&1; then
    tail -40 "$log" >&2
    echo "fuzz target $target crashed: see fuzz/artifacts/$target/" >&2
    exit 1
  fi
  runs=$(grep -m1 'stat::number_of_executed_units' "$log" | awk '{print $2}')
  echo "fuzz $target: ${runs:-?} executions in ${secs}s, no crash"
  rm -f "$log"
done
