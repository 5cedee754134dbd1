#!/usr/bin/env bash
# podman pull HOST/layer/<cid>:<file> and podman build with COPY --from=HOST/layer/<cid>:<file> (a
# layer path in a CIDv1 directory): the files of both images, through podman image mount. Private
# storage (vfs), state and network configuration in the work directory.
set -euo pipefail
E2E_NAME=podman
# shellcheck source=tests/e2e/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
load_state
make_work # TMPDIR: podman's temporary image copies
podman() {
  timeout 300 /usr/bin/podman --root "$work/root" --runroot "$work/runroot" --storage-driver vfs \
    --tmpdir "$work/libpod" --network-config-dir "$work/networks" --volumepath "$work/volumes" \
    --cgroup-manager cgroupfs --events-backend file "$@"
}
cleanup() {
  podman image unmount --all >/dev/null 2>&1 || true
  remove_work
}
trap cleanup EXIT

# check_image NAME IMAGE: mounts IMAGE and checks its files.
check_image() {
  local name=$1 image=$2 mountpoint
  mountpoint=$(podman image mount "$image") || fail "podman ($name): podman image mount $image failed"
  [[ -d $mountpoint ]] || fail "podman ($name): podman image mount gave '$mountpoint'"
  expect_example_files "$mountpoint"
  podman image unmount "$image" >/dev/null || fail "podman ($name): podman image unmount failed"
}

ref="$OCIPFSD_ADDR/layer/$EXAMPLE_CID:$EXAMPLE_FILE"
log "podman pull $ref"
run_logged pull "podman pull: pulling $ref failed" \
  podman pull --tls-verify=false --signature-policy "$work/policy.json" "$ref"
check_image pull "$ref"

ref="$OCIPFSD_ADDR/layer/$V1DIR_CID:$EXAMPLE_FILE"
copy_from_context "$work/context" "$ref"
log "podman build with COPY --from=$ref"
run_logged build "podman build: the build with COPY --from=$ref failed" \
  podman build --tls-verify=false --isolation chroot --signature-policy "$work/policy.json" \
  -t localhost/ocipfs-e2e-build "$work/context"
check_image build localhost/ocipfs-e2e-build
log "passed"
