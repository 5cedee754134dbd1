#!/usr/bin/env bash
# Fails when a function in src/ is over 60 lines: clang-tidy's readability-function-size over the
# build's compile_commands.json.
#   tests/lint/function_size.sh [BUILD_DIR]   (default ./build, configured by cmake)
set -euo pipefail
repo="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)"
build=${1:-$repo/build}
tidy=$(command -v clang-tidy || command -v clang-tidy-14 || true)
[[ -n $tidy ]] || { echo "function_size: clang-tidy is not installed" >&2; exit 2; }
[[ -f $build/compile_commands.json ]] || { echo "function_size: no $build/compile_commands.json" >&2; exit 2; }
config='{Checks: "-*,readability-function-size", WarningsAsErrors: "", CheckOptions: [{key: readability-function-size.LineThreshold, value: 60}]}'
report=$(mktemp)
trap 'rm -f "$report"' EXIT
find "$repo/src" -name '*.cpp' -print0 | sort -z |
  xargs -0 -P "$(nproc)" -n 4 "$tidy" -p "$build" --quiet --config="$config" 2>/dev/null |
  grep -E 'warning: function .* exceeds' >"$report" || true
files=$(find "$repo/src" -name '*.cpp' | wc -l)
if [[ -s $report ]]; then
  sed "s|$repo/||" "$report"
  echo "function_size: $(wc -l <"$report") functions over 60 lines in $files files" >&2
  exit 1
fi
echo "function_size: no function over 60 lines in $files files of src/"
