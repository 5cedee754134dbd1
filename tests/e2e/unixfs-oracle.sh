#!/usr/bin/env bash
# The UnixFS importer against the real node: for files of 0 and 1 bytes, around one chunk, of
# 10 MiB and of one chunk more than a full node of 174 links, unixfs_cid prints the file CID and
# wrapping directory CID that the node computes for `add` with cid-version=1, raw-leaves=true,
# wrap-with-directory=true and only-hash=true.
set -euo pipefail
E2E_NAME=unixfs-oracle
# shellcheck source=tests/e2e/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
load_state
unixfs_cid=${UNIXFS_CID:-$REPO_DIR/build/tests/tools/unixfs_cid}
[[ -x $unixfs_cid ]] || fail "no unixfs_cid binary at $unixfs_cid (build first)"
command -v python3 >/dev/null || fail "python3 is needed to write the test content"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

sizes=(0 1 262143 262144 262145 10485760 $((174 * 262144 + 1)))

# write_content FILE SIZE: the first SIZE bytes of sha256("ocipfs unixfs 0") ||
# sha256("ocipfs unixfs 1") || ..., the content tests/unit/formats/unixfs_test.cpp hard-codes CIDs for.
write_content() {
  python3 - "$1" "$2" <<'PY'
import hashlib
import sys

path, size = sys.argv[1], int(sys.argv[2])
counter = 0
with open(path, "wb") as out:
    while size > 0:
        piece = b"".join(
            hashlib.sha256(b"ocipfs unixfs %d" % n).digest() for n in range(counter, counter + 4096)
        )
        counter += 4096
        out.write(piece[:size])
        size -= min(size, len(piece))
PY
}

# node_cids FILE NAME: the node's CID of the file and of the directory wrapping it, one a line.
node_cids() {
  local answer file_cid dir_cid
  answer=$(curl -sS --fail-with-body --max-time 300 -X POST -F "file=@$1;filename=$2" \
    "$IPFS_API/api/v0/add?cid-version=1&cid-base=base32&raw-leaves=true&only-hash=true&wrap-with-directory=true" \
    2>&1) || fail "the node's add of $2 failed: $answer"
  file_cid=$(jq -r --arg name "$2" 'select(.Name == $name) | .Hash' <<<"$answer")
  dir_cid=$(jq -r 'select(.Name == "") | .Hash' <<<"$answer")
  [[ -n $file_cid && -n $dir_cid ]] ||
    fail "the node's answer for $2 lacks the file or the wrapping directory: $answer"
  printf '%s\n%s\n' "$file_cid" "$dir_cid"
}

mismatches=()
for size in "${sizes[@]}"; do
  name=f$size
  write_content "$work/$name" "$size"
  [[ $(stat -c %s "$work/$name") == "$size" ]] || fail "wrote $name with the wrong size"
  ours=$(timeout 120 "$unixfs_cid" "$work/$name" "$name" 2>&1) ||
    fail "unixfs_cid $name failed: $ours"
  theirs=$(node_cids "$work/$name" "$name")
  if [[ $ours == "$theirs" ]]; then
    log "size $size: file $(head -1 <<<"$ours"), directory $(tail -1 <<<"$ours"): both match"
  else
    log "size $size: unixfs_cid printed $(tr '\n' ' ' <<<"$ours")but the node computed $(tr '\n' ' ' <<<"$theirs")"
    mismatches+=("$size")
  fi
  rm -f "$work/$name"
done
((${#mismatches[@]} == 0)) || fail "CIDs differ from the node's for sizes ${mismatches[*]}"
log "passed: ${#sizes[@]} sizes, file and directory CIDs as the node computes them"
