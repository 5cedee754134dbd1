#!/usr/bin/env bash
# Runs the six fuzz targets one after the other for SECONDS each (default 30), from BUILD_DIR
# (default build-asan, configured with -DOCIPFS_FUZZ=ON), and prints the total.
#
#   tests/fuzz/run-all.sh [SECONDS] [BUILD_DIR]
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
seconds=${1:-30}
build=$(cd "${2:-$here/../../build-asan}" && pwd) || exit 2
targets=(fuzz_cid fuzz_car fuzz_layer_manifest fuzz_route fuzz_handler fuzz_gateway_response)

total=0
crashes=0
lines=()
for target in "${targets[@]}"; do
  binary=$build/tests/fuzz/$target
  if [[ ! -x $binary ]]; then
    echo "$binary is missing: ninja -C $build ${targets[*]}" >&2
    exit 2
  fi
  output=$("$here/run.sh" "$binary" "$seconds" "$here/corpus/$target" \
    "$here/regressions/$target" "$build/tests/fuzz/work/$target" | tee /dev/stderr)
  line=$(tail -n 1 <<<"$output")
  lines+=("$line")
  executions=$(sed -n 's/.* executions=\([0-9]*\).*/\1/p' <<<"$line")
  crashed=$(sed -n 's/.* crashes=\([0-9]*\).*/\1/p' <<<"$line")
  total=$((total + ${executions:-0}))
  crashes=$((crashes + ${crashed:-1}))
done
printf '%s\n' "${lines[@]}"
echo "fuzz: total executions=$total crashes=$crashes"
((crashes == 0))
