#!/usr/bin/env bash
# skopeo copy of a layer image to an oci: layout; the layer blob in the layout holds the files.
set -euo pipefail
E2E_NAME=skopeo
# shellcheck source=tests/e2e/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
load_state
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo '{"default":[{"type":"insecureAcceptAnything"}]}' >"$work/policy.json"
skopeo() { timeout 300 /usr/bin/skopeo --policy "$work/policy.json" "$@"; }

ref="docker://$OCIPFSD_ADDR/layer/$EXAMPLE_CID:$EXAMPLE_FILE"
log "skopeo copy $ref oci:$work/layout:example"
skopeo copy --src-tls-verify=false "$ref" "oci:$work/layout:example" >"$work/log" 2>&1 ||
  { cat "$work/log" >&2; fail "skopeo copy failed"; }

manifest_digest=$(jq -r '.manifests[0].digest' "$work/layout/index.json")
manifest="$work/layout/blobs/sha256/${manifest_digest#sha256:}"
layer_digest=$(jq -r '.layers[0].digest' "$manifest")
layer="$work/layout/blobs/sha256/${layer_digest#sha256:}"
[[ $(sha256sum "$layer" | cut -d' ' -f1) == "${layer_digest#sha256:}" ]] ||
  fail "the layer blob does not match its digest"
mkdir -p "$work/rootfs"
tar -xzf "$layer" -C "$work/rootfs"
expect_example_files "$work/rootfs"
log "passed"
