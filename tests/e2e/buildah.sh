#!/usr/bin/env bash
# buildah bud with COPY --from=HOST/layer/<cid>:<file>, and buildah from HOST/layer/<cid> (the layer
# manifest stored as dag-pb, tagless): the files of both, through buildah mount. Private storage
# (vfs) in the work directory; chroot isolation.
set -euo pipefail
E2E_NAME=buildah
# shellcheck source=tests/e2e/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
load_state
make_work # TMPDIR: buildah's temporary image copies
buildah() {
  timeout 300 /usr/bin/buildah --root "$work/root" --runroot "$work/runroot" \
    --storage-driver vfs "$@"
}
cleanup() {
  buildah rm --all >/dev/null 2>&1 || true
  remove_work
}
trap cleanup EXIT

# check_image NAME IMAGE: mounts a working container of IMAGE and checks its files.
check_image() {
  local name=$1 image=$2 container mountpoint
  container=$(buildah from --pull=never "$image") ||
    fail "buildah ($name): buildah from $image failed"
  mountpoint=$(buildah mount "$container") || fail "buildah ($name): buildah mount failed"
  [[ -d $mountpoint ]] || fail "buildah ($name): buildah mount gave '$mountpoint'"
  expect_example_files "$mountpoint"
  buildah rm "$container" >/dev/null || fail "buildah ($name): buildah rm failed"
}

ref="$OCIPFSD_ADDR/layer/$EXAMPLE_CID:$EXAMPLE_FILE"
copy_from_context "$work/context" "$ref"
log "buildah bud with COPY --from=$ref"
run_logged bud "buildah bud: the build with COPY --from=$ref failed" \
  buildah bud --tls-verify=false --isolation chroot --signature-policy "$work/policy.json" \
  -t localhost/ocipfs-e2e-bud "$work/context"
check_image bud localhost/ocipfs-e2e-bud

ref="$OCIPFSD_ADDR/layer/$EXAMPLE_CID_DAGPB"
log "buildah from docker://$ref"
run_logged from "buildah from: pulling $ref failed" \
  buildah from --tls-verify=false --signature-policy "$work/policy.json" --name pulled \
  "docker://$ref"
buildah rm pulled >/dev/null || fail "buildah from: buildah rm failed"
check_image from "$ref:latest"
log "passed"
