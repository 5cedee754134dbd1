#!/usr/bin/env bash
# The classic builder (DOCKER_BUILDKIT=0 docker build), which pulls through dockerd's own pull path:
# `FROM HOST/layer/<cid>` (tagless) and `COPY --from=HOST/layer/<cid>:<file> / /`. The classic
# builder has no `-o`, so each image is exported from a created container and its files checked.
set -euo pipefail
E2E_NAME=docker-classic
# shellcheck source=tests/e2e/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
load_state
export DOCKER_HOST="unix://$E2E_STATE/docker/docker.sock"
export DOCKER_BUILDKIT=0
docker() { timeout 300 /usr/bin/docker "$@"; }

tagged="$OCIPFSD_ADDR/layer/$EXAMPLE_CID:$EXAMPLE_FILE"
tagless="$OCIPFSD_ADDR/layer/$EXAMPLE_CID"
prefix="ocipfs-e2e-classic-$$"
work=$(mktemp -d)
# forget: removes this test's containers and images, the layer images and BuildKit's cache, so that
# dockerd holds the layer nowhere and has to fetch it again.
forget() {
  local ids=()
  mapfile -t ids < <(docker ps -aq --filter "label=$prefix" 2>/dev/null || true)
  ((${#ids[@]} == 0)) || docker rm -f "${ids[@]}" >/dev/null 2>&1 || true
  docker rmi -f "$prefix-from" "$prefix-copy" "$tagged" "$tagless" >/dev/null 2>&1 || true
  docker builder prune --all --force >/dev/null 2>&1 || true
}
trap 'forget; rm -rf "$work"' EXIT


# build NAME DOCKERFILE_TEXT: builds image $prefix-NAME, exports a container of it to
# $work/NAME/rootfs and checks the files.
build() {
  local name=$1 dockerfile=$2 image="$prefix-$1" container mark
  mkdir -p "$work/$name/context" "$work/$name/rootfs"
  printf '%s\n' "$dockerfile" >"$work/$name/context/Dockerfile"
  forget
  mark=$(log_mark)
  log "$name: DOCKER_BUILDKIT=0 docker build of: $(tr '\n' ';' <"$work/$name/context/Dockerfile")"
  if ! docker build --no-cache -t "$image" "$work/$name/context" >"$work/$name/log" 2>&1; then
    cat "$work/$name/log" >&2
    fail "docker classic build ($name): docker build failed"
  fi
  grep -q "Successfully tagged $image" "$work/$name/log" || {
    cat "$work/$name/log" >&2
    fail "docker classic build ($name): the builder did not tag $image"
  }
  expect_layer_fetched "$mark" "$EXAMPLE_CID" "docker classic build ($name)"
  # The image has no command; `docker create` takes a dummy one. It never runs.
  container=$(docker create --label "$prefix" "$image" x) ||
    fail "docker classic build ($name): docker create $image failed"
  docker export "$container" | tar -x -C "$work/$name/rootfs" ||
    fail "docker classic build ($name): docker export of $image failed"
  expect_example_files "$work/$name/rootfs"
}

build from "$(printf 'FROM %s\nLABEL io.ocipfs.e2e=classic' "$tagless")"
build copy "$(printf 'FROM scratch\nCOPY --from=%s / /' "$tagged")"
log "passed"
