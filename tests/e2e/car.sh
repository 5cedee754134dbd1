#!/usr/bin/env bash
# Publishing without a node: `ocipfs pack` writes the layer manifest and a CAR; the real node's
# only-hash add agrees on the IPFS path; npm's ipfs-car lists the roots and unpacks the identical
# tarball and manifest; the CAR is imported with dag/import, ocipfsd serves layer/<cid>, and
# BuildKit's COPY --from= gets the files.
set -euo pipefail
E2E_NAME=car
# shellcheck source=tests/e2e/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
load_state
export DOCKER_HOST="unix://$E2E_STATE/docker/docker.sock"
export DOCKER_BUILDKIT=1
ocipfs=${OCIPFS:-$REPO_DIR/build/ocipfs}
[[ -x $ocipfs ]] || fail "no ocipfs binary at $ocipfs (build first)"
ipfs_car=$(bash "$REPO_DIR/tests/ipfs-node/ipfs-node.sh" ipfs-car-path) || fail "no ipfs-car"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A layer of several chunks (random bytes), so the tarball is a dag-pb tree, not one raw block.
src=$work/payload
mkdir -p "$src/etc" "$src/srv"
printf 'greeting=hello from a CAR\n' >"$src/etc/car.conf"
head -c 900000 /dev/urandom >"$src/srv/blob.bin"

log "ocipfs pack $src (no node)"
out=$(env -u IPFS_API timeout 300 "$ocipfs" pack "$src" --tarball="$work/carlayer.tar.gz" \
  --registry="$OCIPFSD_ADDR" 2>"$work/pack.err") || fail "ocipfs pack failed: $(cat "$work/pack.err")"
printf '%s\n' "$out" >&2
ipfs_path=$(sed -n 's/^ipfs path  *//p' <<<"$out")
cid=$(sed -n 's/^layer manifest  *//p' <<<"$out")
copy_line=$(grep '^COPY --from=' <<<"$out") || fail "no COPY --from= line in: $out"
[[ -f $work/carlayer.car && -f $work/carlayer.layer.json ]] || fail "pack wrote no CAR or manifest"
dir_cid=${ipfs_path%%/*}

# The node computes the same directory for the same tarball.
node_dir=$(curl -fsS --max-time 120 -X POST -F "file=@$work/carlayer.tar.gz" \
  "$IPFS_API/api/v0/add?cid-version=1&cid-base=base32&raw-leaves=true&wrap-with-directory=true&only-hash=true" |
  jq -r 'select(.Name == "") | .Hash') || fail "the node's only-hash add failed"
[[ $node_dir == "$dir_cid" ]] || fail "the node computes directory $node_dir, ocipfs $dir_cid"

# ipfs-car, an independent reader: the roots, and the identical tarball and manifest.
roots=$("$ipfs_car" roots "$work/carlayer.car" | tr '\n' ' ')
[[ $roots == "$cid $dir_cid " ]] || fail "ipfs-car lists the roots '$roots', not '$cid $dir_cid'"
"$ipfs_car" unpack "$work/carlayer.car" --root "$dir_cid" --output "$work/unpacked" ||
  fail "ipfs-car cannot unpack the directory"
cmp -s "$work/unpacked/carlayer.tar.gz" "$work/carlayer.tar.gz" || fail "ipfs-car unpacks another tarball"
"$ipfs_car" unpack "$work/carlayer.car" --root "$cid" --output "$work/manifest.json" ||
  fail "ipfs-car cannot unpack the manifest"
cmp -s "$work/manifest.json" "$work/carlayer.layer.json" || fail "ipfs-car unpacks another manifest"

# dag/import: every block, roots pinned.
answer=$(curl -fsS --max-time 120 -X POST -F "file=@$work/carlayer.car" \
  "$IPFS_API/api/v0/dag/import?pin-roots=true") || fail "dag/import failed"
log "dag/import answered: $answer"
imported=$(jq -r 'select(.Root) | .Root.Cid["/"] + " " + .Root.PinErrorMsg' <<<"$answer")
for root in "$cid" "$dir_cid"; do
  grep -qx "$root " <<<"$imported" || fail "dag/import did not list $root as pinned: $answer"
done
curl -fsS --max-time 60 -o "$work/served.tar.gz" "$IPFS_GATEWAY/ipfs/$ipfs_path" ||
  fail "the gateway does not serve $ipfs_path"
cmp -s "$work/served.tar.gz" "$work/carlayer.tar.gz" || fail "the gateway serves other bytes"

# ocipfsd serves layer/<cid>, and BuildKit builds with the printed line.
reference=${copy_line#COPY --from=}
reference=${reference% / /}
curl -fsS --max-time 60 -o /dev/null "http://$OCIPFSD_ADDR/v2/layer/$cid/manifests/latest" ||
  fail "ocipfsd does not serve layer/$cid"
mkdir -p "$work/build"
printf 'FROM scratch\n%s\n' "$copy_line" >"$work/build/Dockerfile"
timeout 300 /usr/bin/docker builder prune --all --force >/dev/null || fail "docker builder prune failed"
log "docker build with: $copy_line"
if ! timeout 300 /usr/bin/docker build --progress=plain -o "type=local,dest=$work/out" \
  "$work/build" >"$work/build.log" 2>&1; then
  cat "$work/build.log" >&2
  fail "docker build with the COPY --from= line of pack failed"
fi
diff -r --no-dereference "$src" "$work/out" >&2 || fail "the built files differ from $src"
log "passed: $reference"
