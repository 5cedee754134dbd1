#!/usr/bin/env bash
# Sets up a Debian 12 machine and runs every test: unit, integration and end-to-end.
#   bash tests/run.sh            (BUILD_DIR defaults to ./build)
set -euo pipefail
repo="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
build=${BUILD_DIR:-$repo/build}

bash "$repo/tests/install-deps.sh" test
bash "$repo/tests/ipfs-node/ipfs-node.sh" install
cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$build" -j "$(nproc)"
cd "$build"
ctest --output-on-failure --timeout 900
