#!/usr/bin/env bash
# e2e fixture: a real IPFS node holding the example layer and the test layer manifests, and
# ocipfsd in front of it. Writes STATE/env for the client tests.
#   setup.sh STATE_DIR
set -euo pipefail
E2E_NAME=setup
# shellcheck source=tests/e2e/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

state=${1:?usage: setup.sh STATE_DIR}
node="$REPO_DIR/tests/ipfs-node/ipfs-node.sh"
"$node" stop "$state/ipfs" 2>/dev/null || true
# shellcheck disable=SC1091
[[ -f $state/env ]] && {
  source "$state/env"
  stop_pid "${OCIPFSD_PID:-0}"
  stop_pid "${OCIPFSD_PROXY_PID:-0}"
}
rm -rf "$state"
mkdir -p "$state/expected" "$state/fixtures"

"$node" start "$state/ipfs"
# shellcheck disable=SC1091
source "$state/ipfs/env"
tar -xzf "$REPO_DIR/example/hello.tar.gz" -C "$state/expected"

# add_wrapped FILE NAME LEAVES VERSION: the wrapping directory's CID.
add_wrapped() { "$node" add "$state/ipfs" "$1" "$2" "$3" "$4" | tail -1; }
# add_manifest FILE CODEC: a layer manifest's own CID (raw or dag-pb), CIDv1.
add_manifest() { "$node" add-raw "$state/ipfs" "$1" "$2"; }

example_json="$REPO_DIR/example/layer.json"
example_path=$(jq -r '.layer.annotations["io.ocipfs.layer.ipfs.cid"]' "$example_json")
example_file=${example_path#*/}

# The example layer in a CIDv0 directory, exactly as example/layer.json names it.
v0_dir=$(add_wrapped "$REPO_DIR/example/$example_file" "$example_file" dag-pb v0)
[[ $v0_dir == "${example_path%%/*}" ]] ||
  fail "example/layer.json names directory ${example_path%%/*}, the node computed $v0_dir"
# The same tarball in a CIDv1 directory.
v1_dir=$(add_wrapped "$REPO_DIR/example/$example_file" "$example_file" raw v1)
jq -c --arg path "$v1_dir/$example_file" \
  '.layer.annotations["io.ocipfs.layer.ipfs.cid"] = $path' "$example_json" >"$state/fixtures/v1dir.json"
# A layer manifest without its diff_id annotation.
jq -c 'del(.layer.annotations["io.ocipfs.layer.fs.digest"])' "$example_json" \
  >"$state/fixtures/broken.json"

example_cid=$(add_manifest "$example_json" raw)
example_cid_dagpb=$(add_manifest "$example_json" dag-pb)
v1dir_cid=$(add_manifest "$state/fixtures/v1dir.json" raw)
broken_cid=$(add_manifest "$state/fixtures/broken.json" raw)
# The example tarball's own CID (one raw block): a CID users give where a layer manifest belongs.
tarball_cid=$(add_manifest "$REPO_DIR/example/$example_file" raw)
# A valid CID of content the node does not have: hashed, never stored.
printf 'not stored anywhere %s\n' "$RANDOM$RANDOM" >"$state/fixtures/unknown.txt"
unknown_cid=$(curl -fsS --max-time 60 -X POST -F "file=@$state/fixtures/unknown.txt" \
  "$IPFS_API/api/v0/add?cid-version=1&cid-base=base32&only-hash=true" | jq -r .Hash)

grep -q "layer/$example_cid:$example_file" "$REPO_DIR/example/Dockerfile" ||
  fail "example/Dockerfile does not name layer/$example_cid:$example_file"
[[ $example_cid == bafkrei* ]] || fail "raw-leaf manifest CID is $example_cid"
[[ $example_cid_dagpb == bafybei* ]] || fail "dag-pb manifest CID is $example_cid_dagpb"
[[ $v0_dir == Qm* && $v1_dir == bafybei* ]] || fail "directory CIDs are $v0_dir and $v1_dir"

# The same, streaming layers itself; its redirect gateway is a closed port, so that a client it
# sent there would fail (the proxy-mode client tests).
mkdir -p "$state/proxy"
start_ocipfsd "$state/proxy" --gateway="$IPFS_GATEWAY" --gateway-timeout=5s --threads=2 \
  --blobs=proxy --redirect-gateway=http://127.0.0.1:9
proxy_pid=$OCIPFSD_PID proxy_addr=$OCIPFSD_ADDR
start_ocipfsd "$state" --gateway="$IPFS_GATEWAY" --gateway-timeout=5s --threads=2

cat >"$state/env" <<ENV
E2E_STATE=$state
IPFS_API=$IPFS_API
IPFS_GATEWAY=$IPFS_GATEWAY
OCIPFSD_PID=$OCIPFSD_PID
OCIPFSD_ADDR=$OCIPFSD_ADDR
OCIPFSD_PROXY_PID=$proxy_pid
OCIPFSD_PROXY_ADDR=$proxy_addr
EXAMPLE_FILE=$example_file
EXAMPLE_CID=$example_cid
EXAMPLE_CID_DAGPB=$example_cid_dagpb
V1DIR_CID=$v1dir_cid
BROKEN_CID=$broken_cid
DIR_CID=$v1_dir
TARBALL_CID=$tarball_cid
UNKNOWN_CID=$unknown_cid
ENV
log "ready: ocipfsd on $OCIPFSD_ADDR, gateway $IPFS_GATEWAY, example layer/$example_cid:$example_file"
