#!/usr/bin/env bash
# The container image: docker/Dockerfile built on a Debian 12 root made with debootstrap (no base
# image can be pulled here), run as a container, and pulled from for real.
set -euo pipefail
E2E_NAME=container
# shellcheck source=tests/e2e/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
load_state
export DOCKER_HOST="unix://$E2E_STATE/docker/docker.sock"
docker() { timeout 1800 /usr/bin/docker "$@"; }

cache=${OCIPFS_DEBOOTSTRAP_CACHE:-${HOME:-/root}/.cache/ocipfs/debootstrap}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
# The packages of the Dockerfile's build stage; the cached root is remade when they change.
packages=cmake,ninja-build,g++,pkg-config,libboost1.81-dev,libboost-url1.81-dev,nlohmann-json3-dev,libspdlog-dev,libssl-dev,libarchive-dev,zlib1g-dev,libzstd-dev,ca-certificates
base_tar="$cache/bookworm-build-$(printf '%s' "$packages" | sha256sum | cut -c1-12).tar"
image=ocipfsd:e2e
name=ocipfsd-e2e-$$
work=$(mktemp -d)
cleanup() {
  /usr/bin/docker rm -f "$name" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# The build stage's base: Debian 12 with the build packages, made once and kept in the cache.
if [[ ! -s $base_tar ]]; then
  mkdir -p "$cache"
  root="$cache/root.$$"
  log "debootstrap bookworm from $mirror (once; cached in $cache)"
  timeout 1800 debootstrap --variant=minbase --include="$packages" bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
    tail -20 "$work/debootstrap.log" >&2
    rm -rf "$root"
    fail "debootstrap failed"
  }
  tar -C "$root" -cf "$base_tar.tmp" . && mv "$base_tar.tmp" "$base_tar"
  rm -rf "$root"
fi
docker import "$base_tar" ocipfs-build-base:bookworm >/dev/null

log "docker build -f docker/Dockerfile (BUILD_IMAGE=ocipfs-build-base:bookworm)"
docker build --network=host --build-arg BUILD_IMAGE=ocipfs-build-base:bookworm \
  -f "$REPO_DIR/docker/Dockerfile" -t "$image" "$REPO_DIR" >"$work/build.log" 2>&1 || {
  tail -40 "$work/build.log" >&2
  fail "docker build failed"
}
size=$(docker image inspect "$image" --format '{{.Size}}')
user=$(docker image inspect "$image" --format '{{.Config.User}}')
log "image size: $((size / 1024 / 1024)) MiB ($size bytes), user $user"
[[ $user == 65532:65532 ]] || fail "the image runs as '$user', not as a non-root user"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
docker run -d --name "$name" --network=host -e "PORT=$port" "$image" \
  --gateway="$IPFS_GATEWAY" --log-format=json >/dev/null
wait_until 30 curl -fsS "http://127.0.0.1:$port/v2/" || {
  /usr/bin/docker logs "$name" >&2 || true
  fail "the container does not serve /v2/ on \$PORT=$port"
}
[[ $(curl -fsS "http://127.0.0.1:$port/healthz") == ok ]] || fail "/healthz"

ref="127.0.0.1:$port/layer/$EXAMPLE_CID:$EXAMPLE_FILE"
log "docker pull $ref (through the containerized ocipfsd)"
docker rmi -f "$ref" >/dev/null 2>&1 || true
docker pull "$ref" >"$work/pull.log" 2>&1 || {
  cat "$work/pull.log" >&2
  fail "docker pull through the container failed"
}
container=$(docker create "$ref" /nothing)
docker export "$container" | tar -x -C "$work" 2>/dev/null
docker rm "$container" >/dev/null
expect_example_files "$work"

# SIGTERM: drains and exits 0.
docker stop -t 15 "$name" >/dev/null
code=$(docker inspect "$name" --format '{{.State.ExitCode}}')
[[ $code == 0 ]] || fail "the container exited with $code on SIGTERM"
/usr/bin/docker logs "$name" 2>&1 | tail -3 | while read -r line; do
  jq -e .severity <<<"$line" >/dev/null || fail "a log line is not JSON: $line"
done
docker rmi "$ref" >/dev/null 2>&1 || true
log "passed: image $((size / 1024 / 1024)) MiB"
