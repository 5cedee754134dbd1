#!/usr/bin/env bash
# `ocipfs import` of existing images, served back unchanged by ocipfsd at HOST/image/<cid>.
# An image built by the suite's dockerd (FROM scratch: the static busybox and a CMD that prints a
# line of this run), `docker save`d, and copied by skopeo into an OCI layout (gzip layers, an OCI
# config). Then:
#   (a) the layout, imported to a CAR that the node's dag/import takes: ocipfsd's manifest (by tag
#       and by digest) and config are byte-identical to the layout's blobs, with their digests and
#       media types; the layer blob is a 302 to bytes of its digest; skopeo copy back to a layout
#       gives the same manifest digest and config; an oci-archive of the layout gives the same
#       image CID;
#   (b) the docker save tarball, imported through the node's RPC API: its config digest is the
#       image ID; docker pull (the original image removed) gives that image ID back, and docker run
#       prints the CMD's line;
#   (c) a two-platform layout (buildah bud --manifest --platform linux/amd64,linux/arm64 of a FROM
#       scratch + COPY Containerfile, pushed with buildah manifest push --all), imported as DIR:REF:
#       the index is byte-identical (manifests/<tag> with an index Accept), each platform's
#       manifest too (by digest); docker pull --platform linux/arm64 and linux/amd64 give each
#       platform's image (its config digest as the ID, its own file), skopeo inspect
#       --override-arch its config and layers (and the index's digest).
# Needs /bin/busybox from Debian's busybox-static (installed here if missing). KEEP_WORK=1 keeps
# the work directory.
set -euo pipefail
E2E_NAME=import
# shellcheck source=tests/e2e/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
load_state
with_suite_docker_and_ocipfs
need_static_busybox  # the image's

make_work # TMPDIR: buildah's and skopeo's temporary copies, ocipfs import's scratch CAR
docker_images=()
buildah() {
  timeout 300 /usr/bin/buildah --root "$work/buildah/root" --runroot "$work/buildah/runroot" \
    --storage-driver vfs "$@"
}
skopeo() { timeout 300 /usr/bin/skopeo --policy "$work/policy.json" "$@"; }
docker() { timeout 300 /usr/bin/docker "$@"; }
# forget_images: removes this test's docker images and BuildKit's cache, which holds layers too;
# so the next pull fetches the layers from ocipfsd again.
forget_images() {
  if ((${#docker_images[@]})); then
    docker rmi -f "${docker_images[@]}" >/dev/null 2>&1 || true
  fi
  docker builder prune --all --force >/dev/null || fail "docker builder prune failed"
}
cleanup() {
  docker rm -f "$container" >/dev/null 2>&1 || true
  if ((${#docker_images[@]})); then
    docker rmi -f "${docker_images[@]}" >/dev/null 2>&1 || true
  fi
  if [[ -d $work/buildah/root ]]; then
    buildah rm --all >/dev/null 2>&1 || true
    buildah rmi --all --force >/dev/null 2>&1 || true
  fi
  remove_work
}
trap cleanup EXIT
nonce="$$-$RANDOM$RANDOM"
container=ocipfs-e2e-import-$nonce
oci_manifest=application/vnd.oci.image.manifest.v1+json
oci_index=application/vnd.oci.image.index.v1+json

# import_lines NAME SOURCE ARGS...: runs `ocipfs import SOURCE ARGS...`; its output in
# $work/NAME.out.
import_lines() {
  local name=$1 source=$2
  shift 2
  log "ocipfs import $source $*"
  if ! (cd "$work" && env -u IPFS_API timeout 300 "$ocipfs" import "$source" \
    --registry="$OCIPFSD_ADDR" "$@" </dev/null) >"$work/$name.out" 2>"$work/$name.err"; then
    cat "$work/$name.out" "$work/$name.err" >&2
    fail "ocipfs import ($name) failed"
  fi
  [[ ! -s $work/$name.err ]] || fail "ocipfs import ($name) succeeded but wrote to stderr: $(cat "$work/$name.err")"
  cat "$work/$name.out" >&2
}
# image_of NAME TAG: checks the reference, FROM and docker run lines of import NAME, and prints
# the image's CID.
image_of() {
  local name=$1 tag=$2 from cid
  from=$(printed "$name" FROM)
  cid=${from#"$OCIPFSD_ADDR/image/"}
  [[ $cid == b* && $cid != */* && $cid != *:* ]] ||
    fail "import ($name): the FROM line names '$from', not $OCIPFSD_ADDR/image/<cid>"
  [[ $(printed "$name" reference) == "$from:$tag" ]] ||
    fail "import ($name): the reference is '$(printed "$name" reference)', not $from:$tag"
  [[ $(printed "$name" "docker run") == "$from" ]] ||
    fail "import ($name): the docker run line names '$(printed "$name" "docker run")', not $from"
  printf '%s\n' "$cid"
}
# blob DIR DIGEST: the path of DIGEST's blob in the layout at DIR.
blob() { printf '%s/blobs/sha256/%s\n' "$1" "${2#sha256:}"; }
# get NAME PATH [ACCEPT]: GET http://OCIPFSD/v2/PATH; the body in $work/NAME.body, the headers in
# $work/NAME.headers; fails unless 200.
get() {
  local name=$1 path=$2 accept=${3:-} code
  local args=(-sS --max-time 120 -o "$work/$name.body" -D "$work/$name.headers" -w '%{http_code}')
  [[ -n $accept ]] && args+=(-H "Accept: $accept")
  code=$(curl "${args[@]}" "http://$OCIPFSD_ADDR/v2/$path") || fail "GET /v2/$path failed"
  [[ $code == 200 ]] || fail "GET /v2/$path answered $code: $(head -c 400 "$work/$name.body")"
}
# header NAME FIELD: the value of FIELD in $work/NAME.headers.
header() {
  tr -d '\r' <"$work/$1.headers" | awk -v field="$(tr '[:upper:]' '[:lower:]' <<<"$2")" '
    { split($0, kv, ": "); if (tolower(kv[1]) == field) { sub(/^[^:]*: /, ""); print; exit } }'
}
# expect_served NAME PATH ACCEPT FILE DIGEST TYPE: ocipfsd answers PATH with FILE's bytes, the
# Docker-Content-Digest DIGEST and the Content-Type TYPE (no check of the type when empty).
expect_served() {
  local name=$1 path=$2 accept=$3 file=$4 digest=$5 type=$6
  get "$name" "$path" "$accept"
  cmp -s "$work/$name.body" "$file" ||
    fail "GET /v2/$path: ocipfsd's bytes differ from the source's $digest ($(wc -c <"$work/$name.body") bytes, sha256:$(sha256sum <"$work/$name.body" | cut -c1-64); the source: $(wc -c <"$file") bytes)"
  [[ $(header "$name" Docker-Content-Digest) == "$digest" ]] ||
    fail "GET /v2/$path: Docker-Content-Digest is '$(header "$name" Docker-Content-Digest)', not $digest"
  if [[ -n $type && $(header "$name" Content-Type) != "$type" ]]; then
    fail "GET /v2/$path: Content-Type is '$(header "$name" Content-Type)', not $type"
  fi
}
# expect_layer IMAGE DIGEST: ocipfsd redirects the layer blob DIGEST of image/IMAGE with 302, and
# the redirect's target has bytes of that digest.
expect_layer() {
  local image=$1 digest=$2 answer actual
  answer=$(curl -sS --max-time 60 -o /dev/null -w '%{http_code} %{redirect_url}' \
    "http://$OCIPFSD_ADDR/v2/image/$image/blobs/$digest") || fail "GET of layer blob $digest failed"
  [[ $answer == "302 "*/ipfs/* ]] || fail "image/$image: layer blob $digest answers '$answer', not a 302 to /ipfs/..."
  actual=sha256:$(curl -fsS --max-time 120 "${answer#302 }" | sha256sum | cut -c1-64) ||
    fail "GET of ${answer#302 } failed"
  [[ $actual == "$digest" ]] || fail "image/$image: layer $digest redirects to bytes of $actual"
}
# expect_layer_fetcheds MARK IMAGE WHAT DIGEST...: after log line MARK, ocipfsd redirected a GET of each
# layer blob DIGEST of image/IMAGE (so the layers came from IPFS, not from a client's cache).
expect_layer_fetcheds() {
  local mark=$1 image=$2 what=$3 digest
  shift 3
  for digest in "$@"; do
    tail -n +"$((mark + 1))" "$E2E_STATE/ocipfsd.log" |
      grep -q "GET /v2/image/$image/blobs/$digest 302 " ||
      fail "$what: ocipfsd did not redirect a GET of layer blob $digest (was it cached?)"
  done
}
# dag_import CAR ROOT: the node's dag/import of CAR pins ROOT.
dag_import() {
  local answer
  answer=$(curl -fsS --max-time 120 -X POST -F "file=@$1" \
    "$IPFS_API/api/v0/dag/import?pin-roots=true") || fail "dag/import of $1 failed"
  jq -r 'select(.Root) | .Root.Cid["/"] + " " + .Root.PinErrorMsg' <<<"$answer" | grep -qx "$2 " ||
    fail "dag/import of $1 did not pin $2: $answer"
}

# ---------------------------------------------------------------- the fixtures
# The image: FROM scratch, busybox and /bin/sh, a CMD that prints a line of this run.
expected_output="imported from ipfs $nonce"
context=$work/context
mkdir -p "$context/rootfs/bin"
cp /bin/busybox "$context/rootfs/bin/busybox"
ln -s busybox "$context/rootfs/bin/sh"
printf 'FROM scratch\nCOPY rootfs/ /\nLABEL org.example.e2e.run="%s"\nCMD ["/bin/sh", "-c", "echo %s"]\n' \
  "$nonce" "$expected_output" >"$context/Dockerfile"
original="ocipfs-e2e-import:v1"
docker_images+=("$original")
log "docker build (classic builder) -t $original: FROM scratch, busybox, CMD echo"
DOCKER_BUILDKIT=0 docker build -t "$original" "$context" >"$work/build.log" 2>&1 || {
  cat "$work/build.log" >&2
  fail "docker build of the image failed"
}
original_id=$(docker image inspect -f '{{.Id}}' "$original") || fail "docker image inspect failed"
output=$(docker run --rm --network=none "$original" 2>&1) || fail "docker run of the built image failed: $output"
[[ $output == "$expected_output" ]] || fail "the built image prints '$output', not '$expected_output'"
docker save -o "$work/saved.tar" "$original" || fail "docker save failed"
log "skopeo copy docker-archive:saved.tar oci:layout:v1"
skopeo copy "docker-archive:$work/saved.tar" "oci:$work/layout:v1" >"$work/skopeo-layout.log" 2>&1 || {
  cat "$work/skopeo-layout.log" >&2
  fail "skopeo copy of the docker save tarball to an OCI layout failed"
}
layout=$work/layout
manifest_digest=$(jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == "v1") |
  .digest' "$layout/index.json")
[[ $manifest_digest == sha256:* && -f $(blob "$layout" "$manifest_digest") ]] ||
  fail "the layout has no manifest tagged v1: $(cat "$layout/index.json")"
manifest_file=$(blob "$layout" "$manifest_digest")
config_digest=$(jq -r .config.digest "$manifest_file")
config_file=$(blob "$layout" "$config_digest")
mapfile -t layout_layers < <(jq -r '.layers[].digest' "$manifest_file")
((${#layout_layers[@]} == 1)) || fail "the layout's manifest has ${#layout_layers[@]} layers, not 1"
log "layout: manifest $manifest_digest, config $config_digest, layer ${layout_layers[*]}"

# ---------------------------------------------------------------- (a) the layout, as a CAR
import_lines layout "$layout" --car="$work/layout.car"
layout_cid=$(image_of layout v1)
[[ -s $work/layout.car ]] || fail "ocipfs import --car wrote no CAR"
grep -q "^manifest *$manifest_digest " "$work/layout.out" ||
  fail "ocipfs import does not report the manifest $manifest_digest"
dag_import "$work/layout.car" "$layout_cid"
log "dag/import pinned the image $layout_cid"

expect_served layout-tag "image/$layout_cid/manifests/v1" "$oci_manifest" "$manifest_file" \
  "$manifest_digest" "$oci_manifest"
expect_served layout-latest "image/$layout_cid/manifests/latest" "$oci_manifest" "$manifest_file" \
  "$manifest_digest" "$oci_manifest"
expect_served layout-digest "image/$layout_cid/manifests/$manifest_digest" "$oci_manifest" \
  "$manifest_file" "$manifest_digest" "$oci_manifest"
expect_served layout-config "image/$layout_cid/blobs/$config_digest" "" "$config_file" "$config_digest" ""
expect_layer "$layout_cid" "${layout_layers[0]}"
log "(a) ocipfsd serves the layout's manifest (by tag and by digest) and config byte for byte; the layer by 302"

log "skopeo copy docker://$OCIPFSD_ADDR/image/$layout_cid:v1 oci:back:v1"
skopeo copy --src-tls-verify=false "docker://$OCIPFSD_ADDR/image/$layout_cid:v1" "oci:$work/back:v1" \
  >"$work/skopeo-back.log" 2>&1 || {
  cat "$work/skopeo-back.log" >&2
  fail "skopeo copy from ocipfsd failed"
}
back_digest=$(jq -r '.manifests[0].digest' "$work/back/index.json")
[[ $back_digest == "$manifest_digest" ]] ||
  fail "skopeo copy from ocipfsd gives the manifest $back_digest, the layout has $manifest_digest"
cmp -s "$(blob "$work/back" "$config_digest")" "$config_file" ||
  fail "skopeo copy from ocipfsd gives another config than $config_digest"
cmp -s "$(blob "$work/back" "${layout_layers[0]}")" "$(blob "$layout" "${layout_layers[0]}")" ||
  fail "skopeo copy from ocipfsd gives another layer than ${layout_layers[0]}"
log "(a) skopeo copy back: manifest $back_digest, the same config and layer"

# The same layout as an oci-archive: the same image.
skopeo copy "oci:$layout:v1" "oci-archive:$work/layout.oci.tar:v1" >"$work/skopeo-archive.log" 2>&1 || {
  cat "$work/skopeo-archive.log" >&2
  fail "skopeo copy of the layout to an oci-archive failed"
}
import_lines archive "$work/layout.oci.tar" --car="$work/archive.car"
grep -q "^source .*(oci-archive)" "$work/archive.out" || fail "import does not read $work/layout.oci.tar as an oci-archive"
archive_cid=$(image_of archive v1)
[[ $archive_cid == "$layout_cid" ]] ||
  fail "the oci-archive of the layout imports as $archive_cid, the layout as $layout_cid"
log "(a) the oci-archive of the layout imports as the same image $archive_cid"

# ---------------------------------------------------------------- (b) docker save, through the API
import_lines saved "$work/saved.tar" --ipfs-api="$IPFS_API"
grep -q "^source .*(docker save)" "$work/saved.out" || fail "import does not read saved.tar as a docker save tarball"
saved_cid=$(image_of saved v1)
saved_ref=$OCIPFSD_ADDR/image/$saved_cid
get saved-manifest "image/$saved_cid/manifests/v1" "$oci_manifest"
saved_config=$(jq -r .config.digest "$work/saved-manifest.body")
[[ $saved_config == "$original_id" ]] ||
  fail "the docker save import's manifest names the config $saved_config, the image ID is $original_id"
mapfile -t saved_layers < <(jq -r '.layers[].digest' "$work/saved-manifest.body")
((${#saved_layers[@]} == 1)) || fail "the docker save import's manifest has ${#saved_layers[@]} layers, not 1"
tar -xOf "$work/saved.tar" "${original_id#sha256:}.json" >"$work/saved-config.json" ||
  fail "saved.tar has no ${original_id#sha256:}.json"
expect_served saved-config "image/$saved_cid/blobs/$original_id" "" "$work/saved-config.json" "$original_id" ""
expect_layer "$saved_cid" "${saved_layers[0]}"

# The original image is gone: the pull must fetch it all.
docker rmi -f "$original" >/dev/null || fail "docker rmi $original failed"
if docker image inspect "$original_id" >/dev/null 2>&1; then fail "the image $original_id is still there"; fi
docker_images+=("$saved_ref")
forget_images
mark=$(log_mark)
log "docker pull $saved_ref"
docker pull "$saved_ref" >"$work/pull-saved.log" 2>&1 || {
  cat "$work/pull-saved.log" >&2
  fail "docker pull $saved_ref failed"
}
pulled_id=$(docker image inspect -f '{{.Id}}' "$saved_ref") || fail "docker image inspect $saved_ref failed"
[[ $pulled_id == "$original_id" ]] || fail "docker pull gives the image ID $pulled_id, the original was $original_id"
expect_layer_fetcheds "$mark" "$saved_cid" "docker pull" "${saved_layers[@]}"
output=$(docker run --rm --network=none "$saved_ref" 2>"$work/run-saved.err") || {
  cat "$work/run-saved.err" >&2
  fail "docker run $saved_ref failed"
}
[[ $output == "$expected_output" ]] || fail "docker run $saved_ref printed '$output', not '$expected_output'"
log "(b) docker pull: the original image ID $pulled_id; docker run printed '$output'"

# ---------------------------------------------------------------- (c) two platforms
multi_context=$work/multi-context
mkdir -p "$multi_context"
for arch in amd64 arm64; do printf 'the %s file of %s\n' "$arch" "$nonce" >"$multi_context/hello-$arch.txt"; done
# shellcheck disable=SC2016 # ${TARGETARCH} is for buildah
printf 'FROM scratch\nARG TARGETARCH\nCOPY hello-${TARGETARCH}.txt /hello.txt\n' >"$multi_context/Containerfile"
log "buildah bud --manifest localhost/ocipfs-e2e-multi --platform linux/amd64,linux/arm64"
buildah bud --isolation chroot --signature-policy "$work/policy.json" --manifest localhost/ocipfs-e2e-multi \
  --platform linux/amd64,linux/arm64 -f "$multi_context/Containerfile" "$multi_context" \
  >"$work/bud.log" 2>&1 || {
  cat "$work/bud.log" >&2
  fail "buildah bud of the two-platform image failed"
}
buildah manifest push --all --signature-policy "$work/policy.json" localhost/ocipfs-e2e-multi \
  "oci:$work/multi:v1" >"$work/push.log" 2>&1 || {
  cat "$work/push.log" >&2
  fail "buildah manifest push --all to an OCI layout failed"
}
multi=$work/multi
index_digest=$(jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == "v1") |
  .digest' "$multi/index.json")
index_file=$(blob "$multi" "$index_digest")
[[ -f $index_file ]] || fail "the two-platform layout has no index tagged v1: $(cat "$multi/index.json")"
[[ $(jq -r .mediaType "$index_file") == "$oci_index" ]] || fail "the two-platform layout's v1 is no OCI index"
declare -A platform_manifest platform_config platform_layer
for arch in amd64 arm64; do
  digest=$(jq -r --arg arch "$arch" '.manifests[] | select(.platform.os == "linux" and
    .platform.architecture == $arch) | .digest' "$index_file")
  [[ $digest == sha256:* ]] || fail "the two-platform index has no linux/$arch manifest: $(cat "$index_file")"
  platform_manifest[$arch]=$digest
  platform_config[$arch]=$(jq -r .config.digest "$(blob "$multi" "$digest")")
  platform_layer[$arch]=$(jq -r '.layers[0].digest' "$(blob "$multi" "$digest")")
  [[ $(jq -r .architecture "$(blob "$multi" "${platform_config[$arch]}")") == "$arch" ]] ||
    fail "buildah's linux/$arch config says another architecture"
done
[[ ${platform_layer[amd64]} != "${platform_layer[arm64]}" ]] || fail "both platforms have the same layer"
log "two-platform layout: index $index_digest, amd64 ${platform_manifest[amd64]}, arm64 ${platform_manifest[arm64]}"

import_lines multi "$multi:v1" --ipfs-api="$IPFS_API"
multi_cid=$(image_of multi v1)
multi_ref=$OCIPFSD_ADDR/image/$multi_cid
grep -q "^index *$index_digest\$" "$work/multi.out" || fail "ocipfs import does not report the index $index_digest"
expect_served multi-tag "image/$multi_cid/manifests/v1" "$oci_index" "$index_file" "$index_digest" "$oci_index"
expect_served multi-latest "image/$multi_cid/manifests/latest" "$oci_index,$oci_manifest" "$index_file" \
  "$index_digest" "$oci_index"
expect_served multi-index-digest "image/$multi_cid/manifests/$index_digest" "$oci_index" "$index_file" \
  "$index_digest" "$oci_index"
for arch in amd64 arm64; do
  expect_served "multi-$arch" "image/$multi_cid/manifests/${platform_manifest[$arch]}" "$oci_manifest" \
    "$(blob "$multi" "${platform_manifest[$arch]}")" "${platform_manifest[$arch]}" "$oci_manifest"
  expect_served "multi-$arch-config" "image/$multi_cid/blobs/${platform_config[$arch]}" "" \
    "$(blob "$multi" "${platform_config[$arch]}")" "${platform_config[$arch]}" ""
  expect_layer "$multi_cid" "${platform_layer[$arch]}"
done
log "(c) ocipfsd serves the index and both platforms' manifests and configs byte for byte"

docker_images+=("$multi_ref")
for arch in arm64 amd64; do
  skopeo inspect --tls-verify=false --override-os linux --override-arch "$arch" --config --raw \
    "docker://$multi_ref:v1" >"$work/skopeo-$arch-config.json" 2>"$work/skopeo-$arch.err" || {
    cat "$work/skopeo-$arch.err" >&2
    fail "skopeo inspect --override-arch $arch --config of $multi_ref failed"
  }
  cmp -s "$work/skopeo-$arch-config.json" "$(blob "$multi" "${platform_config[$arch]}")" ||
    fail "skopeo inspect --override-arch $arch: the config is not the layout's ${platform_config[$arch]}"
  # Its Digest is the index's (what the tag names); its Layers are the platform's.
  skopeo inspect --tls-verify=false --override-os linux --override-arch "$arch" \
    "docker://$multi_ref:v1" >"$work/skopeo-$arch.json" 2>"$work/skopeo-$arch.err" || {
    cat "$work/skopeo-$arch.err" >&2
    fail "skopeo inspect --override-arch $arch of $multi_ref failed"
  }
  jq -e --arg digest "$index_digest" --arg arch "$arch" --arg layer "${platform_layer[$arch]}" \
    '.Digest == $digest and .Architecture == $arch and .Os == "linux" and .Layers == [$layer]' \
    "$work/skopeo-$arch.json" >/dev/null ||
    fail "skopeo inspect --override-arch $arch shows $(jq -c '{Digest, Os, Architecture, Layers}' "$work/skopeo-$arch.json")"
  forget_images
  mark=$(log_mark)
  log "docker pull --platform linux/$arch $multi_ref"
  docker pull --platform "linux/$arch" "$multi_ref" >"$work/pull-$arch.log" 2>&1 || {
    cat "$work/pull-$arch.log" >&2
    fail "docker pull --platform linux/$arch $multi_ref failed"
  }
  pulled=$(docker image inspect -f '{{.Id}} {{.Os}}/{{.Architecture}}' "$multi_ref") ||
    fail "docker image inspect of the linux/$arch pull failed"
  [[ $pulled == "${platform_config[$arch]} linux/$arch" ]] ||
    fail "docker pull --platform linux/$arch gives '$pulled', not '${platform_config[$arch]} linux/$arch'"
  expect_layer_fetcheds "$mark" "$multi_cid" "docker pull --platform linux/$arch" "${platform_layer[$arch]}"
  # Its file, without running it (no emulation of arm64 here).
  docker create --name "$container" "$multi_ref" /none >/dev/null 2>"$work/create-$arch.err" || {
    cat "$work/create-$arch.err" >&2
    fail "docker create of the linux/$arch image failed"
  }
  docker cp "$container:/hello.txt" - | tar -xOf - hello.txt >"$work/hello-$arch.out" ||
    fail "docker cp of /hello.txt from the linux/$arch image failed"
  docker rm -f "$container" >/dev/null
  cmp -s "$work/hello-$arch.out" "$multi_context/hello-$arch.txt" ||
    fail "the linux/$arch image's /hello.txt is '$(cat "$work/hello-$arch.out")'"
  log "(c) docker pull --platform linux/$arch: image ${platform_config[$arch]}, its own /hello.txt"
done
log "passed: $OCIPFSD_ADDR/image/$layout_cid:v1, $saved_ref:v1, $multi_ref:v1"
