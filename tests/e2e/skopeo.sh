#!/usr/bin/env bash
# skopeo inspect (plain, --config, --raw) of a layer image, and skopeo copy to an oci: layout: the
# layer blob in the layout holds the files, and umoci unpacks the layout. Copies also the layer
# manifest stored as dag-pb and a layer path in a CIDv1 directory.
set -euo pipefail
E2E_NAME=skopeo
# shellcheck source=tests/e2e/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
load_state
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo '{"default":[{"type":"insecureAcceptAnything"}]}' >"$work/policy.json"
skopeo() { timeout 300 /usr/bin/skopeo --policy "$work/policy.json" "$@"; }
index_type=application/vnd.oci.image.index.v1+json

# inspect NAME ARGS...: skopeo inspect --tls-verify=false ARGS... into $work/NAME.json.
inspect() {
  local name=$1
  shift
  log "skopeo inspect $*"
  if ! skopeo inspect --tls-verify=false "$@" >"$work/$name.json" 2>"$work/$name.log"; then
    cat "$work/$name.log" >&2
    fail "skopeo inspect $1: failed"
  fi
  jq -e . "$work/$name.json" >/dev/null || fail "skopeo inspect $1: the output is not JSON"
}

# copy NAME REF: skopeo copy of REF to the oci: layout $work/NAME, tag NAME; checks the layer blob's
# digest and files, then unpacks the layout with umoci and checks the bundle's files.
copy() {
  local name=$1 ref=$2 manifest_digest manifest layer_digest layer
  log "skopeo copy $ref oci:$work/$name:$name"
  if ! skopeo copy --src-tls-verify=false "$ref" "oci:$work/$name:$name" >"$work/$name.log" 2>&1; then
    cat "$work/$name.log" >&2
    fail "skopeo copy ($name): copying $ref failed"
  fi
  [[ -f $work/$name/oci-layout && -f $work/$name/index.json ]] ||
    fail "skopeo copy ($name): $work/$name is not an OCI layout"

  manifest_digest=$(jq -r --arg tag "$name" \
    '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $tag) | .digest' \
    "$work/$name/index.json")
  [[ $manifest_digest == sha256:* ]] || fail "skopeo copy ($name): no manifest tagged $name"
  manifest="$work/$name/blobs/sha256/${manifest_digest#sha256:}"
  layer_digest=$(jq -r '.layers[0].digest' "$manifest")
  layer="$work/$name/blobs/sha256/${layer_digest#sha256:}"
  [[ -f $layer ]] || fail "skopeo copy ($name): the layer blob $layer_digest is missing"
  [[ $(sha256sum "$layer" | cut -d' ' -f1) == "${layer_digest#sha256:}" ]] ||
    fail "skopeo copy ($name): the layer blob does not match its digest"
  mkdir -p "$work/$name.rootfs"
  tar -xzf "$layer" -C "$work/$name.rootfs"
  expect_example_files "$work/$name.rootfs"

  # umoci checks the blobs against their digests and the layer against the config's diff_id.
  log "umoci unpack --rootless --image $work/$name:$name"
  if ! (cd "$work" && timeout 300 umoci unpack --rootless --image "$name:$name" "$name.bundle") \
    >"$work/$name.umoci.log" 2>&1; then
    cat "$work/$name.umoci.log" >&2
    fail "skopeo copy ($name): umoci unpack of the layout failed"
  fi
  [[ -f $work/$name.bundle/config.json ]] || fail "skopeo copy ($name): umoci made no bundle"
  expect_example_files "$work/$name.bundle/rootfs"
}

repo="docker://$OCIPFSD_ADDR/layer/$EXAMPLE_CID"
ref="$repo:$EXAMPLE_FILE"
diff_id=$(jq -r '.layer.annotations["io.ocipfs.layer.fs.digest"]' "$REPO_DIR/example/layer.json")
layer_digest=$(jq -r '.layer.digest' "$REPO_DIR/example/layer.json")

copy example "$ref"
copy dagpb "docker://$OCIPFSD_ADDR/layer/$EXAMPLE_CID_DAGPB:$EXAMPLE_FILE"
copy v1dir "docker://$OCIPFSD_ADDR/layer/$V1DIR_CID:$EXAMPLE_FILE"

# Plain inspect reads the config and calls tags/list.
inspect plain "$ref"
tags=$(jq -c '.RepoTags' "$work/plain.json")
jq -e --arg file "$EXAMPLE_FILE" '.RepoTags | index("latest") and index($file)' \
  "$work/plain.json" >/dev/null || fail "skopeo inspect: RepoTags is $tags, not latest and $EXAMPLE_FILE"
jq -e --arg layer "$layer_digest" '.Layers == [$layer]' "$work/plain.json" >/dev/null ||
  fail "skopeo inspect: Layers is $(jq -c .Layers "$work/plain.json"), not [$layer_digest]"

inspect config --config "$ref"
config_diff_id=$(jq -r '.rootfs.diff_ids[0]' "$work/config.json")
[[ $config_diff_id == "$diff_id" ]] ||
  fail "skopeo inspect --config: rootfs.diff_ids[0] is $config_diff_id, the layer manifest says $diff_id"
jq -e '.rootfs.diff_ids | length == 1' "$work/config.json" >/dev/null ||
  fail "skopeo inspect --config: rootfs.diff_ids has $(jq -c .rootfs.diff_ids "$work/config.json")"

# --raw: the tag's manifest as ocipfsd serves it to skopeo, which accepts an index.
inspect raw --raw "$ref"
raw_type=$(jq -r '.mediaType' "$work/raw.json")
[[ $raw_type == "$index_type" ]] ||
  fail "skopeo inspect --raw: mediaType is $raw_type, not the OCI index $index_type"
jq -e '.schemaVersion == 2 and (.manifests | length > 0)' "$work/raw.json" >/dev/null ||
  fail "skopeo inspect --raw: the index has no manifests"
log "passed"
