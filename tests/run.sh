#!/usr/bin/env bash
# Sets up a Debian 12 machine and runs every test: unit, integration, load and end-to-end with
# gcc; then all of them again with clang under AddressSanitizer and UBSan (except the container
# build, which compiles its own ocipfsd, and the lints), and each libFuzzer target: its regressions
# and corpus replayed, then a fixed number of runs from a seed derived from the commit; then the
# unit and in-process integration tests under ThreadSanitizer.
#   bash tests/run.sh
#     BUILD_DIR                 the gcc build (default ./build)
#     SANITIZE_BUILD_DIR        the clang ASan+UBSan+libFuzzer build (default ./build-asan)
#     THREAD_BUILD_DIR          the gcc ThreadSanitizer build of the unit tests (default ./build-tsan)
#     OCIPFS_FUZZ_RUNS_PERCENT  scales each fuzz target's runs (default 100; 0: replay only)
#     OCIPFS_FUZZ_SEED          fuzz from this seed instead of the commit's
set -euo pipefail
repo="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
build=${BUILD_DIR:-$repo/build}
sanitize_build=${SANITIZE_BUILD_DIR:-$repo/build-asan}
thread_build=${THREAD_BUILD_DIR:-$repo/build-tsan}
fuzz_runs_percent=${OCIPFS_FUZZ_RUNS_PERCENT:-100}

bash "$repo/tests/install-deps.sh" test
bash "$repo/tests/ipfs-node/ipfs-node.sh" install

cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$build" -j "$(nproc)"
(cd "$build" && ctest --output-on-failure --timeout 900)

CC=clang-14 CXX=clang++-14 cmake -S "$repo" -B "$sanitize_build" -G Ninja \
  -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS=-O1 -DOCIPFS_SANITIZE=address,undefined \
  -DOCIPFS_FUZZ=ON -DOCIPFS_FUZZ_RUNS_PERCENT="$fuzz_runs_percent"
cmake --build "$sanitize_build" -j "$(nproc)"
(cd "$sanitize_build" && ctest --output-on-failure --timeout 900 -E '^e2e\.container$|^lint\.')

# ThreadSanitizer over the GoogleTest suite: every in-process server runs 2 threads, and the
# abuse suite's ocipfsd is this build's too. Any report fails its test (exit code 66).
cmake -S "$repo" -B "$thread_build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS=-O1 \
  -DOCIPFS_SANITIZE=thread -DOCIPFS_E2E=OFF
cmake --build "$thread_build" -j "$(nproc)" --target ocipfs_tests
(cd "$thread_build" && ctest --output-on-failure --timeout 900 -L unit)
