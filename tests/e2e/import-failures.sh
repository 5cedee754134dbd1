#!/usr/bin/env bash
# The failure paths of `ocipfs import`, each made from a real image: built by the suite's dockerd
# (FROM scratch + a file), `docker save`d and copied by skopeo into an OCI layout, then a copy of it
# broken: a flipped byte in the layer blob, and in the config blob; the layer blob deleted;
# index.json deleted; an oci-archive of the layout truncated; a docker save tarball without its
# layer; a manifest of 128 layers (127 is the most, and 127 imports); indexes nested 3 deep (2
# import). Each failing `ocipfs import ... --car=FILE` exits 1 with exactly one line on stderr that
# names the problem (the blob's digest, index.json, ...), prints no reference and leaves no CAR
# (nor anything else) where the CAR was to go. With --ipfs-api, a broken layer leaves the node's
# pins as they were and no scratch file in $TMPDIR.
set -euo pipefail
E2E_NAME=import-failures
# shellcheck source=tests/e2e/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
load_state
export DOCKER_HOST="unix://$E2E_STATE/docker/docker.sock"
ocipfs=${OCIPFS:-$REPO_DIR/build/ocipfs}
[[ -x $ocipfs ]] || fail "no ocipfs binary at $ocipfs (build first)"
work=$(mktemp -d)
mkdir -p "$work/tmp" "$work/cars"
export TMPDIR="$work/tmp"
nonce="$$-$RANDOM$RANDOM"
image="ocipfs-e2e-import-failures:v1"
cleanup() {
  timeout 120 /usr/bin/docker rmi -f "$image" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
echo '{"default":[{"type":"insecureAcceptAnything"}]}' >"$work/policy.json"
limit=120

# ---------------------------------------------------------------- the real layout
mkdir -p "$work/context"
printf 'a file of import-failures %s\n' "$nonce" >"$work/context/hello.txt"
head -c 200000 /dev/urandom >"$work/context/noise.bin" # a layer of some size, to truncate in
printf 'FROM scratch\nCOPY hello.txt noise.bin /\nCMD ["/hello.txt"]\n' >"$work/context/Dockerfile"
log "docker build, docker save, skopeo copy to an OCI layout"
DOCKER_BUILDKIT=0 timeout 300 /usr/bin/docker build -t "$image" "$work/context" >"$work/build.log" 2>&1 || {
  cat "$work/build.log" >&2
  fail "docker build failed"
}
timeout 300 /usr/bin/docker save -o "$work/saved.tar" "$image" || fail "docker save failed"
timeout 300 /usr/bin/skopeo --policy "$work/policy.json" copy "docker-archive:$work/saved.tar" \
  "oci:$work/layout:v1" >"$work/skopeo.log" 2>&1 || {
  cat "$work/skopeo.log" >&2
  fail "skopeo copy to an OCI layout failed"
}
good=$work/layout
blob() { printf '%s/blobs/sha256/%s\n' "$1" "${2#sha256:}"; }
manifest_digest=$(jq -r '.manifests[0].digest' "$good/index.json")
config_digest=$(jq -r .config.digest "$(blob "$good" "$manifest_digest")")
layer_digest=$(jq -r '.layers[0].digest' "$(blob "$good" "$manifest_digest")")
[[ $manifest_digest == sha256:* && $config_digest == sha256:* && $layer_digest == sha256:* ]] ||
  fail "the layout is not as expected: $(cat "$good/index.json")"

# copy_layout NAME: a copy of the good layout at $work/NAME.
copy_layout() {
  cp -a "$good" "$work/$1"
  printf '%s\n' "$work/$1"
}
# flip_byte FILE OFFSET: changes one bit of FILE's byte at OFFSET (its size stays).
flip_byte() {
  local byte
  byte=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
  [[ -n $byte ]] || fail "$1 has no byte at $2"
  # shellcheck disable=SC2059 # the format is the byte
  printf "\\$(printf %03o $((byte ^ 1)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
# put_blob DIR FILE: moves FILE into the layout DIR as a blob; prints its descriptor's JSON
# (with MEDIA_TYPE).
put_blob() {
  local dir=$1 file=$2 media_type=$3 hex size
  hex=$(sha256sum "$file" | cut -c1-64)
  size=$(stat -c %s "$file")
  mv "$file" "$dir/blobs/sha256/$hex"
  jq -nc --arg type "$media_type" --arg digest "sha256:$hex" --argjson size "$size" \
    '{mediaType: $type, digest: $digest, size: $size}'
}
# set_top DIR DESCRIPTOR: index.json of DIR names only DESCRIPTOR, as ref v1.
set_top() {
  jq -c '{schemaVersion: 2, manifests: [. + {annotations: {"org.opencontainers.image.ref.name": "v1"}}]}' \
    <<<"$2" >"$1/index.json"
}

pins() {
  curl -fsS --max-time 60 -X POST "$IPFS_API/api/v0/pin/ls?type=recursive" | jq -r '.Keys | keys[]' | sort
}

# expect_failure CASE SOURCE EXPECTED...: `ocipfs import SOURCE --car=...` exits 1 within $limit s,
# with one line on stderr holding every EXPECTED (fixed strings), no reference on stdout, and no
# file left where the CAR was to go.
expect_failure() {
  local case=$1 source=$2 status=0 line expected
  shift 2
  log "$case: ocipfs import $source --car=cars/$case.car"
  timeout "$limit" "$ocipfs" import "$source" --car="$work/cars/$case.car" \
    --registry="$OCIPFSD_ADDR" </dev/null >"$work/$case.out" 2>"$work/$case.err" || status=$?
  ((status != 124)) || fail "$case: ocipfs import did not end within $limit s"
  if ((status != 1)); then
    cat "$work/$case.out" "$work/$case.err" >&2
    fail "$case: ocipfs import exited $status, not 1"
  fi
  if (($(wc -l <"$work/$case.err") != 1)); then
    cat "$work/$case.err" >&2
    fail "$case: ocipfs import wrote $(wc -l <"$work/$case.err") lines on stderr, not 1"
  fi
  line=$(cat "$work/$case.err")
  for expected in "$@"; do
    [[ $line == *"$expected"* ]] || fail "$case: the error does not say '$expected': $line"
  done
  if grep -Eq '^(reference|FROM|docker run)' "$work/$case.out"; then
    fail "$case: ocipfs import printed a reference: $(cat "$work/$case.out")"
  fi
  if [[ -n $(ls -A "$work/cars") ]]; then
    fail "$case: ocipfs import left files where the CAR was to go: $(ls -A "$work/cars")"
  fi
  log "$case: $line"
}
# expect_success CASE SOURCE: `ocipfs import SOURCE --car=...` works (the control of a case).
expect_success() {
  local case=$1 source=$2
  log "$case: ocipfs import $source --car=cars/$case.car"
  if ! timeout "$limit" "$ocipfs" import "$source" --car="$work/cars/$case.car" \
    --registry="$OCIPFSD_ADDR" </dev/null >"$work/$case.out" 2>"$work/$case.err"; then
    cat "$work/$case.out" "$work/$case.err" >&2
    fail "$case: ocipfs import failed"
  fi
  [[ -s $work/cars/$case.car ]] || fail "$case: ocipfs import wrote no CAR"
  grep -q "^reference *$OCIPFSD_ADDR/image/b" "$work/$case.out" || fail "$case: no reference printed"
  rm -f "$work/cars/$case.car"
}

expect_success good "$good"

# 1. A layer blob whose bytes do not match its digest (its size is right).
dir=$(copy_layout corrupt-layer)
flip_byte "$(blob "$dir" "$layer_digest")" 100
expect_failure corrupt-layer "$dir" "layer $layer_digest" "hash"

# 2. A config blob whose bytes do not match its digest.
dir=$(copy_layout corrupt-config)
flip_byte "$(blob "$dir" "$config_digest")" 10
expect_failure corrupt-config "$dir" "$config_digest" "hash"

# 3. The manifest lists a layer blob that the layout lacks.
dir=$(copy_layout missing-layer)
rm "$(blob "$dir" "$layer_digest")"
expect_failure missing-layer "$dir" "layer $layer_digest" "no such blob"

# 4. No index.json.
dir=$(copy_layout no-index)
rm "$dir/index.json"
expect_failure no-index "$dir" "index.json"

# 5. An oci-archive of the layout, truncated in the middle.
tar -cf "$work/archive.tar" -C "$good" oci-layout index.json blobs
expect_success archive "$work/archive.tar"
head -c "$(($(stat -c %s "$work/archive.tar") / 2))" "$work/archive.tar" >"$work/truncated.tar"
expect_failure truncated-archive "$work/truncated.tar" "truncated"

# 6. A docker save tarball without its layer: manifest.json lists a file that is not there.
saved_layer=$(tar -xOf "$work/saved.tar" manifest.json | jq -r '.[0].Layers[0]')
cp "$work/saved.tar" "$work/saved-no-layer.tar"
tar --delete -f "$work/saved-no-layer.tar" "$saved_layer" || fail "cannot delete $saved_layer from the docker save tarball"
expect_success docker-save "$work/saved.tar"
expect_failure docker-save-no-layer "$work/saved-no-layer.tar" "$saved_layer" "lacks"

# 7. 128 layers in one manifest; 127 is the most, and imports.
# many_layers NAME COUNT: a layout of the good one plus a manifest of COUNT small layers (its
# config lists their diff_ids) as v1.
many_layers() {
  local dir i layers=() diff_ids=() descriptor config manifest
  dir=$(copy_layout "$1")
  mkdir -p "$work/$1-files"
  for ((i = 1; i <= $2; i++)); do
    printf 'layer %d of %s\n' "$i" "$nonce" >"$work/$1-files/file-$i"
    tar -cf "$work/$1-files/layer.tar" -C "$work/$1-files" --owner=0 --group=0 --mtime=@0 "file-$i"
    descriptor=$(put_blob "$dir" "$work/$1-files/layer.tar" application/vnd.oci.image.layer.v1.tar)
    layers+=("$descriptor")
    diff_ids+=("$(jq -r .digest <<<"$descriptor")")
  done
  printf '%s\n' "${diff_ids[@]}" | jq -R . | jq -sc \
    '{architecture: "amd64", os: "linux", config: {}, rootfs: {type: "layers", diff_ids: .}}' \
    >"$work/$1-files/config.json"
  config=$(put_blob "$dir" "$work/$1-files/config.json" application/vnd.oci.image.config.v1+json)
  printf '%s\n' "${layers[@]}" | jq -sc --argjson config "$config" \
    '{schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", config: $config, layers: .}' \
    >"$work/$1-files/manifest.json"
  manifest=$(put_blob "$dir" "$work/$1-files/manifest.json" application/vnd.oci.image.manifest.v1+json)
  set_top "$dir" "$manifest"
  printf '%s\n' "$dir"
}
dir=$(many_layers most 127)
expect_success most-layers "$dir"
dir=$(many_layers too-many 128)
too_many_manifest=$(jq -r '.manifests[0].digest' "$dir/index.json")
expect_failure too-many-layers "$dir" "$too_many_manifest" "128 layers" "127"

# 8. Indexes nested 3 deep (index.json names index 1, which names index 2, which names index 3,
# which names the manifest); 2 deep import.
# nested NAME DEPTH: a copy of the good layout whose v1 is DEPTH indexes over its manifest; prints
# the layout, then the innermost index's digest.
nested() {
  local dir descriptor i
  dir=$(copy_layout "$1")
  descriptor=$(jq -c '.manifests[0] | del(.annotations) |
    . + {platform: {architecture: "amd64", os: "linux"}}' "$good/index.json")
  for ((i = 1; i <= $2; i++)); do
    jq -nc --argjson entry "$descriptor" \
      '{schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: [$entry]}' \
      >"$work/$1-index-$i.json"
    descriptor=$(put_blob "$dir" "$work/$1-index-$i.json" application/vnd.oci.image.index.v1+json)
    if ((i == 1)); then jq -r .digest <<<"$descriptor" >"$work/$1-innermost"; fi
  done
  set_top "$dir" "$descriptor"
  printf '%s\n' "$dir"
}
dir=$(nested nested-2 2)
expect_success nested-2 "$dir"
dir=$(nested nested-3 3)
expect_failure nested-3 "$dir" "$(cat "$work/nested-3-innermost")" "deeper than 2"

# 9. Through the node's RPC API: a broken layer publishes nothing, and leaves no scratch file.
dir=$work/corrupt-layer
before=$(pins) || fail "the node's pin/ls failed"
log "corrupt-layer, --ipfs-api: ocipfs import $dir --ipfs-api=$IPFS_API"
status=0
timeout "$limit" "$ocipfs" import "$dir" --ipfs-api="$IPFS_API" --registry="$OCIPFSD_ADDR" </dev/null \
  >"$work/api.out" 2>"$work/api.err" || status=$?
((status == 1)) || fail "corrupt-layer, --ipfs-api: ocipfs import exited $status, not 1: $(cat "$work/api.err")"
(($(wc -l <"$work/api.err") == 1)) || fail "corrupt-layer, --ipfs-api: stderr is not one line: $(cat "$work/api.err")"
grep -Fq "layer $layer_digest" "$work/api.err" || fail "corrupt-layer, --ipfs-api: the error does not name the layer: $(cat "$work/api.err")"
after=$(pins) || fail "the node's pin/ls failed"
[[ $after == "$before" ]] || fail "corrupt-layer, --ipfs-api: the node has new pins: $(comm -13 <(echo "$before") <(echo "$after"))"
[[ -z $(ls -A "$work/tmp") ]] || fail "corrupt-layer, --ipfs-api: ocipfs import left $(ls -A "$work/tmp") in \$TMPDIR"
log "corrupt-layer, --ipfs-api: $(cat "$work/api.err"); no new pins, no scratch file"
log "passed"
