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

image=ocipfsd:e2e
name=ocipfsd-e2e-$$
work=$(mktemp -d)
storage_pid=
cleanup() {
  /usr/bin/docker rm -f "$name" >/dev/null 2>&1 || true
  [[ -z $storage_pid ]] || stop_pid "$storage_pid"
  rm -rf "$work"
}
trap cleanup EXIT

# The build stage's base: Debian 12 with the build packages, made once and kept (build-root.sh).
base_tar=$(bash "$E2E_LIB_DIR/build-root.sh")
docker import "$base_tar" ocipfs-build-base:bookworm >/dev/null

# The build stage compiles through ccache (in the build root) with remote storage on the host,
# kept outside the checkout: what a container compiled before is not compiled again.
storage=${OCIPFS_CONTAINER_CCACHE:-${HOME:-/root}/.cache/ocipfs/container-ccache}
python3 "$E2E_LIB_DIR/ccache_storage.py" "$storage" >"$work/storage.port" &
storage_pid=$!
wait_until 10 test -s "$work/storage.port" || fail "the compiler cache's storage did not start"

log "docker build -f docker/Dockerfile (BUILD_IMAGE=ocipfs-build-base:bookworm, compiler cache $storage)"
docker build --network=host --build-arg BUILD_IMAGE=ocipfs-build-base:bookworm \
  --build-arg CCACHE_REMOTE_STORAGE="http://127.0.0.1:$(cat "$work/storage.port")" \
  -f "$REPO_DIR/docker/Dockerfile" -t "$image" "$REPO_DIR" >"$work/build.log" 2>&1 || {
  tail -40 "$work/build.log" >&2
  fail "docker build failed"
}
stop_pid "$storage_pid"
storage_pid=
# The least recently used entries go beyond 1 GiB.
if command -v ccache >/dev/null; then
  ccache --trim-dir "$storage" --trim-max-size 1G --trim-method atime >/dev/null 2>&1 || true
fi
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
