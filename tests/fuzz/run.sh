#!/usr/bin/env bash
# Runs one libFuzzer target in two steps:
#   1. the gate: every input in REGRESSIONS_DIR and SEED_DIR, once each;
#   2. fuzzing for BUDGET on a corpus in WORK_DIR (SEED_DIR is only read), where BUDGET is
#      `runs=N` (a fixed number of executions, as CI does) or `seconds=N` (a duration).
# The seed is OCIPFS_FUZZ_SEED when set, else derived from the commit (the same commit fuzzes the
# same inputs), else 1. Extra arguments go to libFuzzer; tests/fuzz/<target>.dict is used when
# there is one.
#
#   run.sh FUZZER BUDGET SEED_DIR REGRESSIONS_DIR WORK_DIR [libFuzzer flags...]
#
# Fails on any crash, leak, timeout or broken invariant; the input is kept in WORK_DIR/artifacts
# and the log says how to replay it and how to keep it as a regression. The last line is the
# summary: `fuzz: <target> executions=<N> crashes=<0|1>`.
set -uo pipefail

if (($# < 5)); then
  echo "usage: $0 FUZZER runs=N|seconds=N SEED_DIR REGRESSIONS_DIR WORK_DIR [libFuzzer flags...]" >&2
  exit 2
fi
fuzzer=$1 budget=$2 seeds=$3 regressions=$4 work=$5
shift 5
name=$(basename "$fuzzer")
here=$(cd "$(dirname "$0")" && pwd)

case $budget in
  runs=[0-9]*) limit=(-runs="${budget#runs=}") ;;
  seconds=[0-9]*) limit=(-max_total_time="${budget#seconds=}") ;;
  *)
    echo "$0: the budget is runs=N or seconds=N, not '$budget'" >&2
    exit 2
    ;;
esac

# A commit's first 7 hex digits, as a number below 2^28: libFuzzer takes a 32-bit seed.
commit_seed() {
  local commit
  commit=$(git -C "$here" rev-parse --verify -q HEAD 2>/dev/null) || commit=
  if [[ $commit =~ ^[0-9a-f]{7} ]]; then echo $((16#${commit:0:7})); else echo 1; fi
}
seed=${OCIPFS_FUZZ_SEED:-$(commit_seed)}

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
  local first artifact
  first=$(grep -n -m 1 -E '^fuzz|ERROR|WARNING|runtime error' "$1" | cut -d: -f1)
  echo "--- $name failed: $1 from line ${first:=1}:"
  tail -n "+$first" "$1" | head -n 80
  echo "--- inputs kept in $work/artifacts:"
  ls -l "$work/artifacts"
  artifact=$(find "$work/artifacts" -type f | head -n 1)
  [[ -n $artifact ]] || return 0
  echo "--- replay it:      $fuzzer $artifact"
  echo "--- keep it (name it for what it does, and commit it with the fix):"
  echo "      cp $artifact $here/regressions/$name/<what-it-does>"
}

# 1. The gate: the regressions and the seeds, each once.
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
echo "$name: fuzzing ${budget/=/ } with -seed=$seed; the same again:" \
  "OCIPFS_FUZZ_SEED=$seed $0 $fuzzer $budget $seeds $regressions $work"
status=0
"$fuzzer" "${flags[@]}" -seed="$seed" "${limit[@]}" "$work/corpus" "$seeds" >"$work/fuzz.log" 2>&1 ||
  status=$?
final_stat() { sed -n "s/^stat::$1: *//p" "$work/fuzz.log" | tail -n 1; }
executions=$(final_stat number_of_executed_units)
executions=${executions:-0}
echo "$name: fuzzed ${budget/=/ }: executions=$executions exec/s=$(final_stat average_exec_per_sec)" \
  "new_units=$(final_stat new_units_added) peak_rss_mb=$(final_stat peak_rss_mb)" \
  "corpus=$(find "$work/corpus" -type f | wc -l) files"
if ((status != 0)); then
  failed "$work/fuzz.log"
  summary $((replayed + executions)) 1
  exit 1
fi
summary $((replayed + executions)) 0
