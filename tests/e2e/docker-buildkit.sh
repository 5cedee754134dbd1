#!/usr/bin/env bash
# BuildKit (docker build) with COPY --from=HOST/layer/<cid>:<file>, tagged and tagless, for
# linux/amd64 and linux/arm64: the layer's files land in the build, with no platform warning. Also
# with the layer manifest stored as dag-pb, and with a layer path in a CIDv1 directory.
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
  local name=$1 platform=$2 from=$3 mark repo
  copy_from_context "$work/$name" "$from"
  # Without BuildKit's cache, the layer is fetched again.
  forget_example_layer_for_proxy
  timeout 300 /usr/bin/docker builder prune --all --force >/dev/null ||
    fail "BuildKit ($name): docker builder prune failed"
  mark=$(log_mark)
  log "$name: docker build --platform $platform with COPY --from=$from"
  if ! timeout 300 /usr/bin/docker build --progress=plain --platform "$platform" \
    -o "type=local,dest=$work/$name/out" "$work/$name" >"$work/$name/log" 2>&1; then
    cat "$work/$name/log" >&2
    fail "BuildKit ($name): docker build failed"
  fi
  if grep -Eiq 'platform.*(does not match|mismatch)' "$work/$name/log"; then
    cat "$work/$name/log" >&2
    fail "BuildKit ($name): BuildKit warned about the platform"
  fi
  expect_example_files "$work/$name/out"
  repo=${from#*/layer/}
  expect_layer_fetched "$mark" "${repo%%:*}" "BuildKit ($name)"
}

build tagged-amd64 linux/amd64 "$OCIPFSD_ADDR/layer/$EXAMPLE_CID:$EXAMPLE_FILE"
build tagged-arm64 linux/arm64 "$OCIPFSD_ADDR/layer/$EXAMPLE_CID:$EXAMPLE_FILE"
build tagless-amd64 linux/amd64 "$OCIPFSD_ADDR/layer/$EXAMPLE_CID"
build tagless-arm64 linux/arm64 "$OCIPFSD_ADDR/layer/$EXAMPLE_CID"
build dagpb-amd64 linux/amd64 "$OCIPFSD_ADDR/layer/$EXAMPLE_CID_DAGPB:$EXAMPLE_FILE"
build v1dir-amd64 linux/amd64 "$OCIPFSD_ADDR/layer/$V1DIR_CID:$EXAMPLE_FILE"
log "passed"
