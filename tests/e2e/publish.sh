#!/usr/bin/env bash
# `ocipfs publish DIR` to the real IPFS node, then BuildKit (docker build) with the COPY --from=
# line it printed: the directory's files land in the build. Publishing again gives the same
# reference, the node serves the very tarball that was packed, and `ocipfs inspect` says ocipfsd
# would serve it (layer/<cid>, from the gateway) and does (HOST/layer/<cid>: the registry asked,
# every answer checked).
set -euo pipefail
E2E_NAME=publish
# shellcheck source=tests/e2e/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
load_state
export DOCKER_HOST="unix://$E2E_STATE/docker/docker.sock"
export DOCKER_BUILDKIT=1
ocipfs=${OCIPFS:-$REPO_DIR/build/ocipfs}
[[ -x $ocipfs ]] || fail "no ocipfs binary at $ocipfs (build first)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The layer: nested directories, an executable, a symlink, a name with a space, and a file of
# random bytes big enough that the tarball spans several IPFS chunks.
src=$work/payload
mkdir -p "$src/etc/app" "$src/usr/local/bin" "$src/srv/data"
printf 'greeting=hello from ocipfs publish\n' >"$src/etc/app/app.conf"
printf '#!/bin/sh\necho it runs\n' >"$src/usr/local/bin/app"
chmod 755 "$src/usr/local/bin/app"
head -c 700000 /dev/urandom >"$src/srv/data/blob.bin"
printf 'spaced out\n' >"$src/srv/data/with space.txt"
ln -s ../../etc/app/app.conf "$src/srv/data/conf-link"

# publish TARBALL: runs ocipfs publish of $src; sets `out`, `reference` and `copy_line`.
publish() {
  log "ocipfs publish $src --ipfs-api=$IPFS_API --registry=$OCIPFSD_ADDR --tarball=$1"
  out=$(timeout 300 "$ocipfs" publish "$src" --ipfs-api="$IPFS_API" --registry="$OCIPFSD_ADDR" \
    --tarball="$1" --timeout=60s 2>"$work/publish.err") ||
    fail "ocipfs publish failed: $(cat "$work/publish.err")"
  printf '%s\n' "$out" >&2
  reference=$(sed -n 's/^reference  *//p' <<<"$out")
  copy_line=$(grep '^COPY --from=' <<<"$out") || fail "no COPY --from= line in: $out"
  [[ $reference =~ ^$OCIPFSD_ADDR/layer/bafkrei[a-z2-7]+:payload\.tar\.gz$ ]] ||
    fail "unexpected reference '$reference'"
  [[ $copy_line == "COPY --from=$reference / /" ]] || fail "unexpected COPY line '$copy_line'"
}

publish "$work/payload.tar.gz"
first=$reference
ipfs_path=$(sed -n 's/^ipfs path  *//p' <<<"$out")
digest=$(sed -n 's/^digest  *//p' <<<"$out")
[[ $digest == "sha256:$(sha256sum <"$work/payload.tar.gz" | cut -c1-64)" ]] ||
  fail "the printed digest $digest is not the tarball's sha256"

# The node serves the very tarball that was packed, under the printed IPFS path.
curl -fsS --max-time 60 -o "$work/served.tar.gz" "$IPFS_GATEWAY/ipfs/$ipfs_path" ||
  fail "the gateway does not serve $ipfs_path"
cmp -s "$work/served.tar.gz" "$work/payload.tar.gz" || fail "the gateway serves other bytes"

# Packing is reproducible: publishing again gives the same reference.
mkdir "$work/again"
publish "$work/again/payload.tar.gz"
[[ $reference == "$first" ]] || fail "publishing twice gave $first, then $reference"
cmp -s "$work/payload.tar.gz" "$work/again/payload.tar.gz" || fail "packing twice gave other bytes"

# ocipfs inspect agrees: ocipfsd would serve it (asked of the gateway, without a host)...
name=${reference#"$OCIPFSD_ADDR"/}
timeout 120 "$ocipfs" inspect "$name" --gateway="$IPFS_GATEWAY" >"$work/inspect.out" 2>&1 ||
  fail "ocipfs inspect $name failed: $(cat "$work/inspect.out")"
grep -q "^tags  *latest, payload.tar.gz$" "$work/inspect.out" ||
  fail "inspect shows other tags: $(cat "$work/inspect.out")"
# ... and ocipfsd serves it (asked of the registry of the reference, every answer checked).
timeout 120 "$ocipfs" inspect "$reference" >"$work/inspect-registry.out" 2>&1 ||
  fail "ocipfs inspect $reference failed: $(cat "$work/inspect-registry.out")"
grep -q "^asked  *registry http://$OCIPFSD_ADDR$" "$work/inspect-registry.out" ||
  fail "inspect asked another: $(cat "$work/inspect-registry.out")"
grep -q "^checks  *every answer is what a client expects$" "$work/inspect-registry.out" ||
  fail "inspect found problems: $(cat "$work/inspect-registry.out")"

# --json: the same facts as one object on stdout, for scripts (jq fails on anything else).
json=$(timeout 300 "$ocipfs" publish "$src" --json --ipfs-api="$IPFS_API" \
  --registry="$OCIPFSD_ADDR" --tarball="$work/again/payload.tar.gz" 2>"$work/publish.err") ||
  fail "ocipfs publish --json failed: $(cat "$work/publish.err")"
[[ $(jq -r .reference <<<"$json") == "$first" ]] || fail "publish --json gave: $json"
[[ $(jq -r .copy_from <<<"$json") == "$copy_line" ]] || fail "publish --json gave: $json"
[[ $(jq -r .digest <<<"$json") == "$digest" ]] || fail "publish --json gave: $json"
[[ $(jq -r '"\(.directory_cid)/\(.tag)"' <<<"$json") == "$ipfs_path" ]] ||
  fail "publish --json gave: $json"
json=$(timeout 120 "$ocipfs" inspect "$name" --json --gateway="$IPFS_GATEWAY" \
  2>"$work/inspect.err") || fail "ocipfs inspect --json $name failed: $(cat "$work/inspect.err")"
[[ $(jq -r '.tags | join(", ")' <<<"$json") == "latest, payload.tar.gz" ]] ||
  fail "inspect --json gave: $json"
[[ $(jq -r '.layers[0].digest' <<<"$json") == "$digest" ]] || fail "inspect --json gave: $json"
json=$(timeout 120 "$ocipfs" inspect "$reference" --json 2>"$work/inspect.err") ||
  fail "ocipfs inspect --json $reference failed: $(cat "$work/inspect.err")"
[[ $(jq -r '"\(.asked) \(.registry) \(.problems | length)"' <<<"$json") == \
  "registry http://$OCIPFSD_ADDR 0" ]] || fail "inspect --json of the registry gave: $json"
[[ $(jq -r '.layers[0].digest' <<<"$json") == "$digest" ]] || fail "inspect --json gave: $json"

# BuildKit, with the printed line; without its cache, so the layer comes through ocipfsd.
mkdir -p "$work/build"
printf 'FROM scratch\n%s\n' "$copy_line" >"$work/build/Dockerfile"
timeout 300 /usr/bin/docker builder prune --all --force >/dev/null ||
  fail "docker builder prune failed"
mark=$(wc -l <"$E2E_STATE/ocipfsd.log")
log "docker build with: $copy_line"
if ! timeout 300 /usr/bin/docker build --progress=plain -o "type=local,dest=$work/out" \
  "$work/build" >"$work/build.log" 2>&1; then
  cat "$work/build.log" >&2
  fail "docker build with the printed COPY --from= line failed"
fi
cid=${reference#*/layer/}
cid=${cid%%:*}
tail -n +"$((mark + 1))" "$E2E_STATE/ocipfsd.log" |
  grep -q "GET /v2/layer/$cid/blobs/$digest 302 " ||
  fail "ocipfsd did not redirect a GET of layer/$cid's layer blob"

# The files arrived with the right content, modes and links.
diff -r --no-dereference "$src" "$work/out" >&2 || fail "the built files differ from $src"
[[ -x $work/out/usr/local/bin/app ]] || fail "usr/local/bin/app lost its execute bit"
[[ $(readlink "$work/out/srv/data/conf-link") == ../../etc/app/app.conf ]] ||
  fail "srv/data/conf-link is not the symlink it was"
log "passed: $reference"
