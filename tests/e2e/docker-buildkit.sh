#!/usr/bin/env bash
# BuildKit (docker build) with COPY --from=HOST/layer/<cid>:<file>, tagged and tagless, for
# linux/amd64 and linux/arm64: the layer's files land in the build, with no platform warning.
set -euo pipefail
E2E_NAME=docker-buildkit
# shellcheck source=tests/e2e/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
load_state
export DOCKER_HOST="unix://$E2E_STATE/docker/docker.sock"
export DOCKER_BUILDKIT=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# build NAME PLATFORM FROM: builds `FROM scratch` + `COPY --from=FROM / /` and checks the files.
build() {
  local name=$1 platform=$2 from=$3
  mkdir -p "$work/$name"
  printf 'FROM scratch\nCOPY --from=%s / /\n' "$from" >"$work/$name/Dockerfile"
  log "$name: docker build --platform $platform with COPY --from=$from"
  if ! timeout 300 /usr/bin/docker build --progress=plain --platform "$platform" \
    -o "type=local,dest=$work/$name/out" "$work/$name" >"$work/$name/log" 2>&1; then
    cat "$work/$name/log" >&2
    fail "$name: docker build failed"
  fi
  if grep -Eiq 'platform.*(does not match|mismatch)' "$work/$name/log"; then
    cat "$work/$name/log" >&2
    fail "$name: BuildKit warned about the platform"
  fi
  expect_example_files "$work/$name/out"
}

build tagged-amd64 linux/amd64 "$OCIPFSD_ADDR/layer/$EXAMPLE_CID:$EXAMPLE_FILE"
build tagged-arm64 linux/arm64 "$OCIPFSD_ADDR/layer/$EXAMPLE_CID:$EXAMPLE_FILE"
build tagless-amd64 linux/amd64 "$OCIPFSD_ADDR/layer/$EXAMPLE_CID"
build tagless-arm64 linux/arm64 "$OCIPFSD_ADDR/layer/$EXAMPLE_CID"
log "passed"
