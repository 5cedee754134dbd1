#!/usr/bin/env bash
# --blobs=proxy with curl, the example layer from the real IPFS node through ocipfsd: the whole
# layer against its digest, one range, several ranges (multipart/byteranges) and a range past
# the end (416), each checked against the tarball's bytes; no answer is a redirect.
set -euo pipefail
E2E_NAME=proxy-ranges
# shellcheck source=tests/e2e/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
load_state
[[ ${OCIPFS_E2E_BLOBS:-} == proxy ]] || fail "run with OCIPFS_E2E_BLOBS=proxy"
make_work
trap remove_work EXIT

tarball="$REPO_DIR/example/$EXAMPLE_FILE"
digest=$(jq -r .layer.digest "$REPO_DIR/example/layer.json")
size=$(stat -c %s "$tarball")
url="http://$OCIPFSD_ADDR/v2/layer/$EXAMPLE_CID/blobs/$digest"
# fetch NAME CURL-ARGS...: the body in $work/NAME, the head in $work/NAME.head; prints the status.
fetch() {
  local name=$1
  shift
  curl -sS --max-time 60 -D "$work/$name.head" -o "$work/$name" -w '%{http_code}' "$@" "$url"
}
# field NAME FIELD: a header field of $work/NAME.head.
field() { tr -d '\r' <"$work/$1.head" | awk -v f="$2" -F': ' 'tolower($1) == f { print $2 }'; }

mark=$(log_mark)
[[ $(fetch whole) == 200 ]] || fail "GET of the layer blob: status $(head -1 "$work/whole.head")"
[[ $(sha256sum <"$work/whole" | cut -d' ' -f1) == "${digest#sha256:}" ]] ||
  fail "the layer ocipfsd streamed does not match its digest"
[[ $(field whole accept-ranges) == bytes ]] || fail "no Accept-Ranges: bytes on the layer blob"

[[ $(fetch one -r 100-199) == 206 ]] || fail "Range 100-199: status $(head -1 "$work/one.head")"
cmp -s "$work/one" <(tail -c +101 "$tarball" | head -c 100) || fail "Range 100-199: wrong bytes"
[[ $(field one content-range) == "bytes 100-199/$size" ]] ||
  fail "Range 100-199: Content-Range is $(field one content-range)"

[[ $(fetch several -r 0-9,200-209) == 206 ]] || fail "two ranges: status $(head -1 "$work/several.head")"
[[ $(field several content-type) == multipart/byteranges* ]] ||
  fail "two ranges: Content-Type is $(field several content-type)"
python3 - "$work/several" "$tarball" "$size" <<'PY' || fail "two ranges: the parts are not the tarball's bytes"
import sys
body, tarball, size = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read(), sys.argv[3]
for first, last in ((0, 9), (200, 209)):
    head = f"Content-Range: bytes {first}-{last}/{size}\r\n\r\n".encode()
    at = body.find(head)
    assert at >= 0, f"no part for {first}-{last}"
    start = at + len(head)
    assert body[start:start + last - first + 1] == tarball[first:last + 1], f"{first}-{last} differs"
PY

[[ $(fetch past -r "$size-") == 416 ]] || fail "a range past the end: status $(head -1 "$work/past.head")"
[[ $(field past content-range) == "bytes */$size" ]] ||
  fail "a range past the end: Content-Range is $(field past content-range)"

if tail -n +"$((mark + 1))" "$OCIPFSD_LOG" | grep -q " 302 "; then
  fail "ocipfsd redirected a request in proxy mode"
fi
log "passed"
