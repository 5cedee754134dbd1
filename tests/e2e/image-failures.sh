#!/usr/bin/env bash
# The failure paths of image/<cid> as a user meets them, on image documents stored on the real
# node: a layer CID that is not a layer manifest (another JSON file), a layer manifest the node does
# not have (a CID hashed, never stored), and 128 layers (127 is the most; 127 works). docker pull
# and skopeo inspect print ocipfsd's message, which names the layer, for the 4xx answers. For the
# missing layer ocipfsd answers 504, and docker and skopeo drop the body of a 5xx answer: they print
# its status line, "504 Gateway Timeout: " and the message; the body is checked with curl.
set -euo pipefail
E2E_NAME=image-failures
# shellcheck source=tests/e2e/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
load_state
export DOCKER_HOST="unix://$E2E_STATE/docker/docker.sock"
work=$(mktemp -d)
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
echo '{"default":[{"type":"insecureAcceptAnything"}]}' >"$work/policy.json"
# Every command is bounded: a 504 takes ocipfsd's --gateway-timeout (5 s) per request.
limit=120
media_type=application/vnd.ocipfs.image.manifest.v1+json

# add FILE: stores FILE on the node; its CIDv1 (raw leaves, base32).
add() {
  curl -fsS --max-time 60 -X POST -F "file=@$1" \
    "$IPFS_API/api/v0/add?cid-version=1&cid-base=base32&raw-leaves=true" | jq -r .Hash
}
# document NAME LAYER...: stores an image document of these layer CIDs; its CID.
document() {
  local name=$1 cid
  shift
  printf '%s\n' "$@" | jq -R . | jq -s --arg type "$media_type" \
    '{mediaType: $type, layers: ., config: {Cmd: ["/bin/sh"]}}' >"$work/$name.json"
  cid=$(add "$work/$name.json") || fail "cannot add the image document $name"
  [[ $cid == bafkrei* ]] || fail "the node stored the image document $name as '$cid'"
  printf '%s\n' "$cid"
}

# expect_failure CLIENT CASE EXPECTED COMMAND...: COMMAND must fail within $limit s, and its output
# must contain EXPECTED (a fixed string, any case).
expect_failure() {
  local client=$1 case=$2 expected=$3 log_file="$work/${1// /-}.$2.log" status=0
  shift 3
  log "$client, $case: $*"
  timeout "$limit" "$@" >"$log_file" 2>&1 || status=$?
  if ((status == 0)); then
    cat "$log_file" >&2
    fail "$client: $case succeeded, it should fail"
  fi
  if ((status == 124)); then
    cat "$log_file" >&2
    fail "$client: $case did not fail within $limit s"
  fi
  # skopeo logs through logrus, which writes " as \".
  if ! sed 's/\\"/"/g' "$log_file" | grep -Fiq -- "$expected"; then
    cat "$log_file" >&2
    fail "$client: $case failed without saying '$expected'"
  fi
  log "$client, $case: $(sed 's/\\"/"/g' "$log_file" | grep -Fi -m1 -- "$expected")"
}

# check CASE IMAGE_CID MESSAGE: docker pull and skopeo inspect of HOST/image/IMAGE_CID fail saying
# MESSAGE.
check() {
  local case=$1 ref="$OCIPFSD_ADDR/image/$2" message=$3
  /usr/bin/docker rmi -f "$ref" >/dev/null 2>&1 || true
  expect_failure "docker pull" "$case" "$message" /usr/bin/docker pull "$ref"
  expect_failure "skopeo inspect" "$case" "$message" /usr/bin/skopeo --policy "$work/policy.json" \
    inspect --tls-verify=false "docker://$ref"
}

# 1. A layer that is some other JSON file on the node.
printf '{"name": "not a layer manifest", "version": 1}\n' >"$work/other.json"
other=$(add "$work/other.json") || fail "cannot add other.json"
not_layer=$(document not-a-layer "$other")
check not-a-layer "$not_layer" \
  "manifest invalid: layer 1 of image $not_layer ($other): layer manifest $other is invalid"

# 2. A layer manifest the node does not have: hashed, never stored. Layer 1 is fine.
missing=$(document missing-layer "$EXAMPLE_CID" "$UNKNOWN_CID")
check missing-layer "$missing" "504 Gateway Timeout: layer 2 of image $missing ($UNKNOWN_CID): no gateway answered"
body=$(curl -sS --max-time "$limit" "http://$OCIPFSD_ADDR/v2/image/$missing/manifests/latest") ||
  fail "curl of image/$missing's manifest failed"
jq -e --arg prefix "layer 2 of image $missing ($UNKNOWN_CID): no gateway answered" \
  '.errors[0].code == "UNAVAILABLE" and (.errors[0].message | startswith($prefix))' \
  <<<"$body" >/dev/null || fail "ocipfsd's 504 body does not name layer 2 ($UNKNOWN_CID): $body"
log "missing-layer: ocipfsd's 504 body: $(jq -r '.errors[0].message' <<<"$body")"

# 3. 128 layers: one too many (refused before any layer is fetched).
mapfile -t layers < <(for _ in $(seq 128); do printf '%s\n' "$EXAMPLE_CID"; done)
too_many=$(document too-many "${layers[@]}")
check too-many "$too_many" \
  "manifest invalid: image document $too_many is invalid: layers has 128 entries; at most 127 are allowed"
# 127 are an image: 127 layer manifests of the example tarball, each with an annotation of its own
# (new to this run, so each is fetched from the node).
nonce="$$-$RANDOM$RANDOM"
layers=()
for i in $(seq 127); do
  jq -c --arg value "$nonce-$i" '.layer.annotations["org.example.e2e.layer"] = $value' \
    "$REPO_DIR/example/layer.json" >"$work/layer-$i.json"
  layers+=("$(add "$work/layer-$i.json")") || fail "cannot add layer manifest $i"
done
most=$(document most "${layers[@]}")
log "skopeo inspect of the 127-layer image $most"
timeout "$limit" /usr/bin/skopeo --policy "$work/policy.json" inspect --tls-verify=false \
  "docker://$OCIPFSD_ADDR/image/$most" >"$work/most.json" 2>"$work/most.log" || {
  cat "$work/most.log" >&2
  fail "skopeo inspect of the 127-layer image failed"
}
count=$(jq '.Layers | length' "$work/most.json")
((count == 127)) || fail "skopeo inspect shows $count layers of the 127-layer image"
log "passed"
