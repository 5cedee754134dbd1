#!/usr/bin/env bash
# The pages for people in a real browser: Debian's chromium, headless, driven by playwright-core
# (tests/e2e/browser, installed from npm once; it never downloads a browser). Against the e2e
# fixture's ocipfsd and IPFS node: the home page and its form, the example layer's page, an
# invalid CID, and a layer whose file name is an HTML tag, which must stay text. Screenshots go
# to $E2E_STATE/browser.
set -euo pipefail
E2E_NAME=browser
# shellcheck source=tests/e2e/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
load_state
chromium=${OCIPFS_CHROMIUM:-/usr/bin/chromium}
[[ -x $chromium ]] || fail "no chromium at $chromium (bash tests/install-deps.sh test)"
command -v node >/dev/null || fail "node is not on PATH (bash tests/install-deps.sh test)"

spec="$E2E_LIB_DIR/browser"
modules=$("$spec/install.sh") || fail "installing playwright-core failed"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
node_sh="$REPO_DIR/tests/ipfs-node/ipfs-node.sh"
hostile_file='<img src=x onerror=alert(1)>.tar.gz'
# The example tarball under the hostile name, and a layer manifest naming it.
hostile_dir=$("$node_sh" add "$E2E_STATE/ipfs" "$REPO_DIR/example/$EXAMPLE_FILE" "$hostile_file" raw v1 |
  tail -1)
[[ $hostile_dir == bafybei* ]] || fail "adding the hostile name gave directory '$hostile_dir'"
jq -c --arg path "$hostile_dir/$hostile_file" '.layer.annotations["io.ocipfs.layer.ipfs.cid"] = $path' \
  "$REPO_DIR/example/layer.json" >"$work/hostile.json"
hostile_cid=$("$node_sh" add-raw "$E2E_STATE/ipfs" "$work/hostile.json" raw)
[[ $hostile_cid == bafkrei* ]] || fail "the hostile layer manifest's CID is '$hostile_cid'"

# An ES module finds its packages beside it, not through NODE_PATH.
cp "$spec/pages.mjs" "$modules/pages.mjs"
shots="$E2E_STATE/browser"
mkdir -p "$shots"
log "chromium $("$chromium" --version 2>/dev/null | head -1), ocipfsd on $OCIPFSD_ADDR"
CHROMIUM=$chromium BASE_URL="http://$OCIPFSD_ADDR" LAYER_CID=$EXAMPLE_CID LAYER_FILE=$EXAMPLE_FILE \
  LAYER_DIGEST=$(jq -r .layer.digest "$REPO_DIR/example/layer.json") HOSTILE_CID=$hostile_cid \
  HOSTILE_FILE=$hostile_file SHOTS=$shots timeout 180 node "$modules/pages.mjs" || fail "the browser checks failed (screenshots in $shots)"
for shot in layer hostile; do
  [[ -s $shots/$shot.png ]] || fail "no screenshot $shots/$shot.png"
done
log "passed; screenshots: $shots/layer.png $shots/hostile.png"
