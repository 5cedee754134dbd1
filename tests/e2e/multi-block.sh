#!/usr/bin/env bash
# A layer manifest of several blocks (700 KB: three 256 KiB chunks under a dag-pb root), added to
# the js-ipfs node with raw leaves: ocipfsd proves it from the plain file the node's gateway sends
# by importing it again, serves the image, and skopeo inspects it. The same document added with
# dag-pb leaves cannot be proven from the plain file: 502, saying why.
set -euo pipefail
E2E_NAME=multi-block
# shellcheck source=tests/e2e/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
load_state
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
node="$REPO_DIR/tests/ipfs-node/ipfs-node.sh"
index_type=application/vnd.oci.image.index.v1+json

head -c 700000 /dev/zero | tr '\0' 'p' | jq -Rs '{padding: .}' >"$work/padding.json"
jq -s '.[0] + .[1]' "$REPO_DIR/example/layer.json" "$work/padding.json" >"$work/big.json"
size=$(stat -c %s "$work/big.json")
((size > 2 * 262144)) || fail "the padded layer manifest is only $size bytes"

raw_leaves=$("$node" add-raw "$E2E_STATE/ipfs" "$work/big.json" raw)
dag_pb_leaves=$("$node" add-raw "$E2E_STATE/ipfs" "$work/big.json" dag-pb)
[[ $raw_leaves == bafybei* && $dag_pb_leaves == bafybei* && $raw_leaves != "$dag_pb_leaves" ]] ||
  fail "the node gave $raw_leaves (raw leaves) and $dag_pb_leaves (dag-pb leaves)"
log "a $size-byte layer manifest: $raw_leaves (raw leaves), $dag_pb_leaves (dag-pb leaves)"

# registry GET PATH: ocipfsd's status and body into $work/answer.
registry() {
  curl -sS --max-time 60 -o "$work/answer" -w '%{http_code}' -H "Accept: $index_type" \
    "http://$OCIPFSD_ADDR/v2/layer/$1/manifests/latest"
}

status=$(registry "$raw_leaves")
[[ $status == 200 ]] || fail "layer/$raw_leaves: $status $(head -c 500 "$work/answer")"
jq -e --arg type "$index_type" '.mediaType == $type and (.manifests | length) >= 1' \
  "$work/answer" >/dev/null || fail "layer/$raw_leaves: not an image index: $(head -c 300 "$work/answer")"

echo '{"default":[{"type":"insecureAcceptAnything"}]}' >"$work/policy.json"
timeout 300 skopeo --policy "$work/policy.json" inspect --tls-verify=false \
  "docker://$OCIPFSD_ADDR/layer/$raw_leaves:latest" >"$work/inspect.json" 2>"$work/inspect.log" ||
  fail "skopeo inspect layer/$raw_leaves: $(tail -3 "$work/inspect.log")"
layer_digest=$(jq -r .layer.digest "$REPO_DIR/example/layer.json")
jq -e --arg digest "$layer_digest" '.Layers == [$digest]' "$work/inspect.json" >/dev/null ||
  fail "skopeo inspect: layers $(jq -c .Layers "$work/inspect.json"), expected [$layer_digest]"

status=$(registry "$dag_pb_leaves")
[[ $status == 502 ]] || fail "layer/$dag_pb_leaves (dag-pb leaves): $status, expected 502"
grep -q "other parameters" "$work/answer" ||
  fail "layer/$dag_pb_leaves: the refusal does not say why: $(head -c 500 "$work/answer")"
log "OK: the multi-block layer manifest is served; dag-pb leaves are refused, saying why"
