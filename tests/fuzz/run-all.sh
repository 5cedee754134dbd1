#!/usr/bin/env bash
# Longer fuzzing, outside CI: every fuzz target for SECONDS each (default 600), JOBS at a time
# (default: the number of cores), from BUILD_DIR (default build-asan, configured with
# -DOCIPFS_FUZZ=ON). Each target first replays its regressions and corpus (run.sh); the seed is
# OCIPFS_FUZZ_SEED, else the commit's. Prints each target's summary and the total.
#
#   tests/fuzz/run-all.sh [SECONDS] [BUILD_DIR] [JOBS]
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
seconds=${1:-600}
build=$(cd "${2:-$here/../../build-asan}" && pwd) || exit 2
jobs=${3:-$(nproc)}
targets=($(sed -n 's/^ocipfs_fuzzer(\([a-z_]*\).*/\1/p' "$here/CMakeLists.txt"))

for target in "${targets[@]}"; do
  if [[ ! -x $build/tests/fuzz/$target ]]; then
    echo "$build/tests/fuzz/$target is missing: ninja -C $build ${targets[*]}" >&2
    exit 2
  fi
done

logs=$build/tests/fuzz/run-all
mkdir -p "$logs"
run_one() {  # target
  "$here/run.sh" "$build/tests/fuzz/$1" "seconds=$seconds" "$here/corpus/$1" \
    "$here/regressions/$1" "$build/tests/fuzz/work/$1" >"$logs/$1.log" 2>&1
}

running=0
for target in "${targets[@]}"; do
  if ((running >= jobs)); then
    wait -n
    running=$((running - 1))
  fi
  echo "run-all: $target for ${seconds}s (log: $logs/$target.log)"
  run_one "$target" &
  running=$((running + 1))
done
wait

total=0
crashes=0
for target in "${targets[@]}"; do
  grep -v '^fuzz: ' "$logs/$target.log"
  line=$(grep '^fuzz: ' "$logs/$target.log" | tail -n 1)
  echo "${line:-fuzz: $target executions=0 crashes=1}"
  executions=$(sed -n 's/.* executions=\([0-9]*\).*/\1/p' <<<"$line")
  crashed=$(sed -n 's/.* crashes=\([0-9]*\).*/\1/p' <<<"$line")
  total=$((total + ${executions:-0}))
  crashes=$((crashes + ${crashed:-1}))
done
echo "fuzz: total executions=$total crashes=$crashes"
((crashes == 0))
