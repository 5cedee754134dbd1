#!/usr/bin/env bash
# containerd: its own daemon (root, state, socket and config in the work directory, cri disabled),
# `ctr images pull --plain-http` of HOST/layer/<cid>:<file> and of HOST/layer/<cid> with the layer
# manifest stored as dag-pb. containerd pulls the index, unpacks the linux/amd64 layer (checking its
# diff_id), and `ctr images export` gives the layer blob whose files are checked.
set -euo pipefail
E2E_NAME=containerd
# shellcheck source=tests/e2e/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
load_state
work=$(mktemp -d)
cleanup() {
  if [[ -n ${CONTAINERD_PID:-} ]]; then stop_pid "$CONTAINERD_PID" 20; fi
  rm -rf "$work"
}
trap cleanup EXIT

start_containerd "$work"

index_type=application/vnd.oci.image.index.v1+json

# pull NAME REPO TAG: ctr images pull --plain-http REPO:TAG, then checks the image's target against
# ocipfsd's answer to containerd's Accept header, and the exported layer's files.
pull() {
  local name=$1 repo=$2 tag=$3 ref target index manifest layer_digest layer expected
  ref="$OCIPFSD_ADDR/layer/$repo:$tag"
  log "ctr images pull --plain-http $ref"
  if ! ctr images pull --plain-http "$ref" >"$work/$name.log" 2>&1; then
    cat "$work/$name.log" >&2
    fail "containerd: ctr images pull of $ref failed"
  fi
  grep -q "^unpacking linux/amd64 " "$work/$name.log" || {
    cat "$work/$name.log" >&2
    fail "containerd: ctr did not unpack the linux/amd64 image of $ref"
  }

  # The image's target is the index that ocipfsd serves for the tag.
  target=$(ctr images ls | awk -v ref="$ref" '$1 == ref { print $2, $3 }')
  expected=$(curl -fsS --max-time 60 -I "http://$OCIPFSD_ADDR/v2/layer/$repo/manifests/$tag" \
    -H "Accept: application/vnd.docker.distribution.manifest.v2+json, $index_type, */*" |
    tr -d '\r' | awk -F': ' 'tolower($1) == "docker-content-digest" { print $2 }')
  [[ $target == "$index_type $expected" ]] ||
    fail "containerd: the image $ref is '$target', ocipfsd serves the index $expected"

  log "ctr images export $ref"
  ctr images export "$work/$name.tar" "$ref" || fail "containerd: ctr images export of $ref failed"
  mkdir -p "$work/$name.export" "$work/$name.rootfs"
  tar -xf "$work/$name.tar" -C "$work/$name.export"
  index="$work/$name.export/blobs/sha256/${expected#sha256:}"
  [[ -f $index ]] || fail "containerd: the export of $ref lacks the index $expected"
  manifest=$(jq -r '.manifests[] | select(.platform.os == "linux" and
    .platform.architecture == "amd64") | .digest' "$index")
  manifest="$work/$name.export/blobs/sha256/${manifest#sha256:}"
  [[ -f $manifest ]] || fail "containerd: the export of $ref lacks the linux/amd64 manifest"
  layer_digest=$(jq -r '.layers[0].digest' "$manifest")
  layer="$work/$name.export/blobs/sha256/${layer_digest#sha256:}"
  [[ -f $layer ]] || fail "containerd: the export of $ref lacks the layer $layer_digest"
  [[ $(sha256sum "$layer" | cut -d' ' -f1) == "${layer_digest#sha256:}" ]] ||
    fail "containerd: the exported layer does not match its digest"
  tar -xzf "$layer" -C "$work/$name.rootfs"
  expect_example_files "$work/$name.rootfs"
}

pull tagged "$EXAMPLE_CID" "$EXAMPLE_FILE"
pull dagpb "$EXAMPLE_CID_DAGPB" latest
log "passed"
