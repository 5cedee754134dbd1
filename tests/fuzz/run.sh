#!/usr/bin/env bash
# Runs one libFuzzer target: every input in REGRESSIONS_DIR and SEED_DIR once, then fuzzing for
# SECONDS on a corpus in WORK_DIR (SEED_DIR is only read). Extra arguments go to libFuzzer; a
# dictionary tests/fuzz/<target>.dict is used when there is one.
#
#   run.sh FUZZER SECONDS SEED_DIR REGRESSIONS_DIR WORK_DIR [libFuzzer flags...]
#
# Fails on any crash, leak, timeout or broken invariant; the input is kept in WORK_DIR/artifacts.
# The last line is the summary: `fuzz: <target> executions=<N> crashes=<0|1>`.
set -uo pipefail

if (($# < 5)); then
  echo "usage: $0 FUZZER SECONDS SEED_DIR REGRESSIONS_DIR WORK_DIR [libFuzzer flags...]" >&2
  exit 2
fi
fuzzer=$1 seconds=$2 seeds=$3 regressions=$4 work=$5
shift 5
name=$(basename "$fuzzer")
here=$(cd "$(dirname "$0")" && pwd)

rm -rf "$work"
mkdir -p "$work/corpus" "$work/artifacts"
flags=(-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/artifacts/")
[[ -f $here/$name.dict ]] && flags+=(-dict="$here/$name.dict")
case $name in
  fuzz_handler | fuzz_gateway_response)
    # Their server cache and fake gateway request log grow by design, so libFuzzer's leak check
    # after each input would suspect every input (and scan the heap each time: 20x slower).
    # LeakSanitizer still checks the whole process when it exits.
    flags+=(-detect_leaks=0)
    ;;
esac
flags+=("$@")

summary() {  # executions crashes
  echo "fuzz: $name executions=$1 crashes=$2"
}

failed() {  # log
  # From the first report of a problem on (a broken invariant, a sanitizer, libFuzzer).
  local first
  first=$(grep -n -m 1 -E '^fuzz|ERROR|WARNING|runtime error' "$1" | cut -d: -f1)
  echo "--- $name failed: $1 from line ${first:=1}:"
  tail -n "+$first" "$1" | head -n 80
  echo "--- inputs kept in $work/artifacts:"
  ls -l "$work/artifacts"
}

# 1. The regressions and the seeds, each once.
shopt -s nullglob
inputs=()
for dir in "$regressions" "$seeds"; do
  [[ -d $dir ]] && inputs+=("$dir"/*)
done
replayed=${#inputs[@]}
if ((replayed > 0)); then
  if ! "$fuzzer" "${flags[@]}" "${inputs[@]}" >"$work/replay.log" 2>&1; then
    failed "$work/replay.log"
    summary "$replayed" 1
    exit 1
  fi
  echo "$name: replayed $replayed inputs from $regressions and $seeds"
fi

# 2. Fuzzing, new inputs going to the work corpus only.
status=0
"$fuzzer" "${flags[@]}" -max_total_time="$seconds" "$work/corpus" "$seeds" >"$work/fuzz.log" 2>&1 ||
  status=$?
final_stat() { sed -n "s/^stat::$1: *//p" "$work/fuzz.log" | tail -n 1; }
executions=$(final_stat number_of_executed_units)
executions=${executions:-0}
echo "$name: fuzzed ${seconds}s: exec/s=$(final_stat average_exec_per_sec)" \
  "new_units=$(final_stat new_units_added) peak_rss_mb=$(final_stat peak_rss_mb)" \
  "corpus=$(find "$work/corpus" -type f | wc -l) files"
if ((status != 0)); then
  failed "$work/fuzz.log"
  summary $((replayed + executions)) 1
  exit 1
fi
summary $((replayed + executions)) 0
