#!/usr/bin/env bash
# Sets up a Debian 12 machine and runs every test, in this order:
#   1. the lints, before anything is compiled;
#   2. gcc: the unit, integration and load tests, and the container image (e2e.container, which
#      compiles an ocipfsd of its own from docker/Dockerfile);
#   3. clang with AddressSanitizer and UBSan: the unit, integration and load tests again, the
#      end-to-end clients against this build's ocipfsd and ocipfs, and each libFuzzer target (its
#      regressions and corpus replayed, then a fixed number of runs from a seed derived from the
#      commit);
#   4. gcc with ThreadSanitizer: the GoogleTest suite (the abuse suite's ocipfsd is this build's).
# The first failure stops it. ctest runs tests two at a time (as many as there are cores); those
# that measure time or memory, or load the whole machine, run alone (RUN_SERIAL in
# tests/CMakeLists.txt). Every compile goes through ccache with one cache outside the checkout
# (CMakeLists.txt, OCIPFS_CCACHE): a machine that compiled ocipfs before compiles again only what
# changed since, in any clone. The IPFS node's npm packages and the container test's Debian root
# are kept outside the checkout too, and are fetched while the gcc build compiles.
#   bash tests/run.sh
#     BUILD_DIR                 the gcc build (default ./build)
#     SANITIZE_BUILD_DIR        the clang ASan+UBSan+libFuzzer build (default ./build-asan)
#     THREAD_BUILD_DIR          the gcc ThreadSanitizer build of the unit tests (default ./build-tsan)
#     TEST_JOBS                 tests at a time (default: the number of cores)
#     CCACHE_DIR                the compiler cache (default /var/cache/ocipfs/ccache)
#     OCIPFS_FUZZ_RUNS_PERCENT  scales each fuzz target's runs (default 100; 0: replay only)
#     OCIPFS_FUZZ_SEED          fuzz from this seed instead of the commit's
set -euo pipefail
repo="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
build=${BUILD_DIR:-$repo/build}
sanitize_build=${SANITIZE_BUILD_DIR:-$repo/build-asan}
thread_build=${THREAD_BUILD_DIR:-$repo/build-tsan}
jobs=$(nproc)
test_jobs=${TEST_JOBS:-$jobs}
fuzz_runs_percent=${OCIPFS_FUZZ_RUNS_PERCENT:-100}

started=$SECONDS
step_started=$SECONDS
step_name=
# step NAME: how long the step before took, and the next one's name.
step() {
  [[ -z $step_name ]] || printf '[run.sh] %s: %s s\n' "$step_name" "$((SECONDS - step_started))" >&2
  printf '[run.sh] %s\n' "$1" >&2
  step_name=$1 step_started=$SECONDS
}
# run_ctest BUILD_DIR ARGS...: ctest in BUILD_DIR, two (TEST_JOBS) at a time.
run_ctest() {
  (cd "$1" && ctest --output-on-failure --no-tests=error --timeout 900 -j "$test_jobs" "${@:2}")
}

step "install what is missing (tests/install-deps.sh test)"
bash "$repo/tests/install-deps.sh" test

# Network work in the background while the lints run and gcc compiles: the IPFS node's npm install
# and the container test's Debian root (both kept outside the checkout: nothing to do when kept).
prepare_log=$(mktemp -d)
bash "$repo/tests/ipfs-node/ipfs-node.sh" install >"$prepare_log/ipfs-node" 2>&1 &
ipfs_node_pid=$!
bash "$repo/tests/e2e/build-root.sh" >"$prepare_log/build-root" 2>&1 &
build_root_pid=$!
# On an early failure they finish (what they fetch is kept for the next run), then the logs go.
trap 'wait; rm -rf "$prepare_log"' EXIT
# wait_for PID NAME: the background step's exit status; its output when it failed.
wait_for() {
  wait "$1" && return 0
  cat "$prepare_log/$2" >&2
  echo "[run.sh] $2 failed" >&2
  return 1
}

step "lints"
cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DOCIPFS_E2E_CLIENTS=OFF -DOCIPFS_E2E_CONTAINER=ON
# Compiles that hit the cache (ccache's counters; other builds sharing the cache count too).
ccache_counts() {
  "$build/ccache-launcher" --print-stats 2>/dev/null |
    awk '$1 ~ /^(direct|preprocessed)_cache_hit$/ { hit += $2 } $1 == "cache_miss" { miss += $2 }
         END { print hit + 0, miss + 0 }' || echo 0 0
}
read -r hits_before misses_before < <(ccache_counts)
run_ctest "$build" -L lint

step "gcc: build"
cmake --build "$build" -j "$jobs"
wait_for "$ipfs_node_pid" ipfs-node
wait_for "$build_root_pid" build-root
step "gcc: unit, integration, load and container tests"
run_ctest "$build" -LE lint

step "clang ASan+UBSan: build"
CC=clang-14 CXX=clang++-14 cmake -S "$repo" -B "$sanitize_build" -G Ninja \
  -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS=-O1 -DOCIPFS_SANITIZE=address,undefined \
  -DOCIPFS_FUZZ=ON -DOCIPFS_FUZZ_RUNS_PERCENT="$fuzz_runs_percent" \
  -DOCIPFS_E2E_CLIENTS=ON -DOCIPFS_E2E_CONTAINER=OFF
cmake --build "$sanitize_build" -j "$jobs"
step "clang ASan+UBSan: unit, integration, load, end-to-end and fuzz tests"
run_ctest "$sanitize_build" -LE lint

# ThreadSanitizer over the GoogleTest suite: every in-process server runs 2 threads, and the
# abuse suite's ocipfsd is this build's too. Any report fails its test (exit code 66).
step "gcc TSan: build"
cmake -S "$repo" -B "$thread_build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS=-O1 \
  -DOCIPFS_SANITIZE=thread -DOCIPFS_E2E=OFF
cmake --build "$thread_build" -j "$jobs" --target ocipfs_tests
step "gcc TSan: unit tests"
run_ctest "$thread_build" -L unit

step "done"
read -r hits misses < <(ccache_counts)
echo "[run.sh] every test passed in $((SECONDS - started)) s; compiles: $((hits - hits_before))" \
  "from the compiler cache, $((misses - misses_before)) compiled" >&2
