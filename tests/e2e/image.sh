#!/usr/bin/env bash
# A whole image from IPFS: `ocipfs compose` of two directory layers (a static busybox, and an app
# script placed at /app by {"path": "app", "at": "/app"}) with a container config, published both
# ways (a CAR imported with dag/import, and through the node's RPC API; the same image CID). Then, on HOST/image/<cid>: docker run prints the script's
# output (Env, WorkingDir, User of the config) and `cat /app/run.sh` shows the script where "at"
# put it (the directory app holds run.sh itself); podman run the same; BuildKit builds
# `FROM HOST/image/<cid>` + `COPY --from=HOST/layer/<cid>` for linux/amd64 (run: sees the copied
# file); the image is offered for linux/amd64 only (compose read it from bin/busybox: skopeo
# inspect --raw lists one platform, and BuildKit's linux/arm64 build FROM it fails), while
# `FROM scratch` + `COPY --from=HOST/layer/<cid>` builds for linux/arm64 (a layer keeps every
# platform: inspected); skopeo copy to an oci: layout that umoci unpacks (both layers' files,
# the config in config.json); ctr images pull (2 layers, unpacked).
# Last, a second image of the same layers (new document, layers already cached by ocipfsd) runs
# at once: no manifest request of it fails (a build of ocipfsd answered 504 after 15 s then).
# Needs /bin/busybox from Debian's busybox-static (installed here if missing). KEEP_WORK=1 keeps
# the work directory.
set -euo pipefail
E2E_NAME=image
# shellcheck source=tests/e2e/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
load_state
with_suite_docker_and_ocipfs
need_static_busybox  # the base layer's

make_work # TMPDIR: compose's scratch tarballs, podman's temporary image copies
containerd_pid=
docker_images=()
podman() {
  timeout 300 /usr/bin/podman --root "$work/podman/root" --runroot "$work/podman/runroot" \
    --storage-driver vfs --tmpdir "$work/podman/libpod" --network-config-dir "$work/podman/networks" \
    --volumepath "$work/podman/volumes" --cgroup-manager cgroupfs --events-backend file "$@"
}
# images_removed: removes this test's docker images that are still there; true once none is (a
# container that `docker run --rm` is still removing keeps its image).
images_removed() {
  local image
  for image in "${docker_images[@]}"; do
    /usr/bin/docker image inspect "$image" >/dev/null 2>&1 || continue
    timeout 120 /usr/bin/docker rmi -f "$image" >/dev/null 2>&1 || return 1
  done
}
# forget_images: removes this test's docker images and BuildKit's cache, which holds layers too;
# so the next pull or build fetches the layers from ocipfsd again.
forget_images() {
  if ((${#docker_images[@]})); then
    wait_until 120 images_removed || fail "docker rmi could not remove ${docker_images[*]}"
  fi
  timeout 300 /usr/bin/docker builder prune --all --force >/dev/null || fail "docker builder prune failed"
}
cleanup() {
  if [[ -n $containerd_pid ]]; then stop_pid "$containerd_pid" 20; fi
  if ((${#docker_images[@]})); then
    timeout 120 /usr/bin/docker rmi -f "${docker_images[@]}" >/dev/null 2>&1 || true
  fi
  timeout 300 /usr/bin/docker builder prune --all --force >/dev/null 2>&1 || true
  if [[ -d $work/podman/root ]]; then
    podman rm --all --force >/dev/null 2>&1 || true
    podman rmi --all --force >/dev/null 2>&1 || true
  fi
  remove_work
}
trap cleanup EXIT

# --- The compose file: two directories (the app's contents at /app) and a container config. ---
compose=$work/compose
mkdir -p "$compose/busybox/bin" "$compose/app"
cp /bin/busybox "$compose/busybox/bin/busybox"
for applet in sh id pwd echo cat ls; do ln -s busybox "$compose/busybox/bin/$applet"; done
cat >"$compose/app/run.sh" <<'SCRIPT'
#!/bin/sh
echo "greeting=$GREETING cwd=$(pwd) uid=$(id -u)"
SCRIPT
chmod 755 "$compose/app/run.sh"
expected_output="greeting=hello-from-ipfs cwd=/app uid=1234"
cat >"$compose/image.json" <<'JSON'
{
  "layers": ["busybox", {"path": "app", "at": "/app"}],
  "config": {
    "Entrypoint": ["/bin/sh", "/app/run.sh"],
    "Env": ["GREETING=hello-from-ipfs", "PATH=/bin"],
    "WorkingDir": "/app",
    "User": "1234:1234",
    "Labels": {"org.example.e2e": "image.sh"}
  },
  "tag": "v1"
}
JSON

# compose_lines NAME ARGS...: runs `ocipfs compose` of the compose file; its output in $work/NAME.out.
compose_lines() {
  local name=$1
  shift
  log "ocipfs compose $compose/image.json $*"
  if ! (cd "$work" && env -u IPFS_API timeout 300 "$ocipfs" compose "$compose/image.json" \
    --registry="$OCIPFSD_ADDR" "$@") >"$work/$name.out" 2>"$work/$name.err"; then
    cat "$work/$name.out" "$work/$name.err" >&2
    fail "ocipfs compose ($name) failed"
  fi
  cat "$work/$name.out" >&2
}

# (a) No node: a CAR and the image document, then dag/import of the CAR.
compose_lines car --car="$work/image.car" -o "$work/document.json"
reference=$(printed car reference)
from_ref=$(printed car FROM)
run_ref=$(printed car "docker run")
image_cid=${from_ref#"$OCIPFSD_ADDR/image/"}
[[ $image_cid == b* && $image_cid != */* ]] || fail "the FROM line names '$from_ref', not $OCIPFSD_ADDR/image/<cid>"
[[ $reference == "$from_ref:v1" ]] || fail "the reference is '$reference', not $from_ref:v1"
[[ $run_ref == "$from_ref" ]] || fail "the docker run line names '$run_ref', not $from_ref"
[[ -s $work/image.car ]] || fail "ocipfs compose --car wrote no CAR"
# The busybox layer's binary is static amd64: the image is declared for linux/amd64 only.
[[ $(printed car platform) == "linux/amd64 (read from layer 1: bin/busybox)" ]] ||
  fail "compose printed the platform '$(printed car platform)', not linux/amd64 read from bin/busybox"
jq -e '.platform == {"os": "linux", "architecture": "amd64"} and
  .annotations["io.ocipfs.platform.source"] == "layer 1: bin/busybox"' "$work/document.json" >/dev/null ||
  fail "the image document declares $(jq -c '{platform, annotations}' "$work/document.json")"
mapfile -t layer_cids < <(jq -r '.layers[]' "$work/document.json")
((${#layer_cids[@]} == 2)) || fail "the image document has ${#layer_cids[@]} layers, not 2"

# The node computes the image CID from the document's bytes too.
node_cid=$(curl -fsS --max-time 60 -X POST -F "file=@$work/document.json" \
  "$IPFS_API/api/v0/add?cid-version=1&cid-base=base32&raw-leaves=true&only-hash=true" | jq -r .Hash) ||
  fail "the node's only-hash add of the image document failed"
[[ $node_cid == "$image_cid" ]] || fail "the node computes $node_cid for the image document, compose $image_cid"

answer=$(curl -fsS --max-time 120 -X POST -F "file=@$work/image.car" \
  "$IPFS_API/api/v0/dag/import?pin-roots=true") || fail "dag/import of the CAR failed"
imported=$(jq -r 'select(.Root) | .Root.Cid["/"] + " " + .Root.PinErrorMsg' <<<"$answer")
for root in "$image_cid" "${layer_cids[@]}"; do
  grep -qx "$root " <<<"$imported" || fail "dag/import did not pin $root: $answer"
done
log "dag/import pinned the image document $image_cid and the layer manifests ${layer_cids[*]}"

# (b) Through the node's RPC API: the same image.
compose_lines api --ipfs-api="$IPFS_API"
for prefix in reference FROM "docker run"; do
  [[ $(printed api "$prefix") == "$(printed car "$prefix")" ]] ||
    fail "compose --ipfs-api prints '$prefix $(printed api "$prefix")', compose --car '$prefix $(printed car "$prefix")'"
done
curl -fsS --max-time 60 -o "$work/served.json" "$IPFS_GATEWAY/ipfs/$image_cid" ||
  fail "the gateway does not serve the image document $image_cid"
cmp -s "$work/served.json" "$work/document.json" || fail "the gateway serves another image document"

# What the layers are: each manifest's digest, diff_id and IPFS path, as the gateway has them.
layer_digests=() diff_ids=() ipfs_paths=()
for cid in "${layer_cids[@]}"; do
  manifest=$(curl -fsS --max-time 60 "$IPFS_GATEWAY/ipfs/$cid") || fail "the gateway does not serve layer manifest $cid"
  layer_digests+=("$(jq -r .layer.digest <<<"$manifest")")
  diff_ids+=("$(jq -r '.layer.annotations["io.ocipfs.layer.fs.digest"]' <<<"$manifest")")
  ipfs_paths+=("$(jq -r '.layer.annotations["io.ocipfs.layer.ipfs.cid"]' <<<"$manifest")")
done
diff_ids_json=$(printf '%s\n' "${diff_ids[@]}" | jq -R . | jq -sc .)

# Each layer blob is a 302 to its layer's gateway path.
for i in 0 1; do
  location=$(curl -fsS --max-time 60 -o /dev/null -w '%{http_code} %{redirect_url}' \
    "http://$OCIPFSD_ADDR/v2/image/$image_cid/blobs/${layer_digests[i]}") ||
    fail "GET of layer $((i + 1))'s blob failed"
  [[ $location == "302 "*"/ipfs/${ipfs_paths[i]}" ]] ||
    fail "layer $((i + 1))'s blob answers '$location', not a 302 to /ipfs/${ipfs_paths[i]}"
done

# ocipfsd offers the image for linux/amd64 only (it was offered for 8 platforms, and an arm64
# machine pulled the amd64 busybox as linux/arm64).
raw=$(timeout 60 /usr/bin/skopeo inspect --raw --tls-verify=false "docker://$reference") ||
  fail "skopeo inspect --raw docker://$reference failed"
offered=$(jq -r '[.manifests[].platform | .os + "/" + .architecture] | join(" ")' <<<"$raw")
[[ $offered == linux/amd64 ]] || fail "the image's index offers '$offered', not linux/amd64 only: $raw"
log "skopeo inspect --raw: the index offers $offered only"

# expect_blob_redirects MARK WHAT: after log line MARK, ocipfsd redirected GETs of both layer blobs.
expect_blob_redirects() {
  local digest
  for digest in "${layer_digests[@]}"; do
    tail -n +"$(($1 + 1))" "$E2E_STATE/ocipfsd.log" |
      grep -q "GET /v2/image/$image_cid/blobs/$digest 302 " ||
      fail "$2: ocipfsd did not redirect a GET of layer blob $digest (was it cached?)"
  done
}

# --- docker run ---
docker_images+=("$run_ref" "$reference")
forget_images
mark=$(log_mark)
log "docker run --rm --network=none $run_ref"
if ! output=$(timeout 300 /usr/bin/docker run --rm --network=none "$run_ref" 2>"$work/docker-run.err"); then
  cat "$work/docker-run.err" >&2
  fail "docker run $run_ref failed"
fi
log "docker run printed: $output"
[[ $output == "$expected_output" ]] || fail "docker run printed '$output', not '$expected_output'"
expect_blob_redirects "$mark" "docker run"
# "at" put the app directory's contents under /app: the script is /app/run.sh, nothing else there.
log "docker run --rm --network=none --entrypoint /bin/busybox $run_ref cat /app/run.sh; ls /app"
listed=$(timeout 120 /usr/bin/docker run --rm --network=none --entrypoint /bin/busybox "$run_ref" \
  sh -c 'cat /app/run.sh && ls -A /app' 2>&1) || fail "docker run cat /app/run.sh failed: $listed"
[[ $listed == "$(cat "$compose/app/run.sh")"$'\n'run.sh ]] ||
  fail "the image has '$listed' at /app, not run.sh with the script"
inspect=$(timeout 60 /usr/bin/docker image inspect "$run_ref") || fail "docker image inspect failed"
jq -e --argjson diff_ids "$diff_ids_json" '.[0] |
  .Config.User == "1234:1234" and .Config.WorkingDir == "/app" and
  .Config.Entrypoint == ["/bin/sh", "/app/run.sh"] and
  (.Config.Env | index("GREETING=hello-from-ipfs")) and
  .Config.Labels["org.example.e2e"] == "image.sh" and .RootFS.Layers == $diff_ids' \
  <<<"$inspect" >/dev/null ||
  fail "docker image inspect shows another config: $(jq -c '.[0] | {Config, RootFS}' <<<"$inspect")"

# --- podman run ---
log "podman pull $reference"
if ! podman pull --tls-verify=false --signature-policy "$work/policy.json" "$reference" \
  >"$work/podman-pull.log" 2>&1; then
  cat "$work/podman-pull.log" >&2
  fail "podman pull $reference failed"
fi
# Here runc may not raise a limit (no CAP_SYS_RESOURCE), and podman sets RLIMIT_NOFILE and
# RLIMIT_NPROC: ask for lower ones, which needs no privilege.
log "podman run --rm --network=none $reference"
if output=$(podman run --rm --network=none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
  "$reference" 2>"$work/podman-run.err"); then
  log "podman run printed: $output"
  [[ $output == "$expected_output" ]] || fail "podman run printed '$output', not '$expected_output'"
elif grep -Eq 'OCI runtime|runc|crun|cgroup|permission denied|not permitted' "$work/podman-run.err"; then
  log "SKIP podman run: podman cannot start a container on this machine: $(grep -m1 . "$work/podman-run.err")"
else
  cat "$work/podman-run.err" >&2
  fail "podman run $reference failed"
fi

# --- BuildKit: FROM the image, COPY --from= a layer, for two platforms ---
extra_ref="$OCIPFSD_ADDR/layer/$EXAMPLE_CID:$EXAMPLE_FILE"
mkdir -p "$work/build"
printf 'FROM %s\nCOPY --from=%s / /extra/\n' "$from_ref" "$extra_ref" >"$work/build/Dockerfile"
# buildkit_build PLATFORM TAG [DIR]: DOCKER_BUILDKIT=1 docker build of DIR ($work/build),
# without cache.
buildkit_build() {
  local platform=$1 tag=$2 dir=${3:-$work/build} mark
  forget_images
  docker_images+=("$tag")
  mark=$(log_mark)
  log "docker build --platform $platform: $(tr '\n' ' ' <"$dir/Dockerfile")"
  if ! DOCKER_BUILDKIT=1 timeout 300 /usr/bin/docker build --progress=plain --platform "$platform" \
    -t "$tag" "$dir" >"$work/build-${platform//\//-}.log" 2>&1; then
    cat "$work/build-${platform//\//-}.log" >&2
    fail "BuildKit ($platform): docker build failed"
  fi
  if grep -Eiq 'platform.*(does not match|mismatch)' "$work/build-${platform//\//-}.log"; then
    cat "$work/build-${platform//\//-}.log" >&2
    fail "BuildKit ($platform): BuildKit warned about the platform"
  fi
  [[ $dir != "$work/build" ]] || expect_blob_redirects "$mark" "BuildKit ($platform)"
}
buildkit_build linux/amd64 ocipfs-e2e-image:amd64
output=$(timeout 300 /usr/bin/docker run --rm --network=none ocipfs-e2e-image:amd64 2>&1) ||
  fail "docker run of the BuildKit image failed: $output"
[[ $output == "$expected_output" ]] || fail "the BuildKit image printed '$output', not '$expected_output'"
timeout 300 /usr/bin/docker run --rm --network=none --entrypoint /bin/cat ocipfs-e2e-image:amd64 \
  /extra/hello.txt >"$work/extra-hello.txt" 2>"$work/extra.err" || {
  cat "$work/extra.err" >&2
  fail "the BuildKit image cannot cat /extra/hello.txt"
}
cmp -s "$work/extra-hello.txt" "$E2E_STATE/expected/hello.txt" ||
  fail "the BuildKit image's /extra/hello.txt differs from the example layer's"
log "BuildKit linux/amd64: runs, prints '$output', has /extra/hello.txt"
# linux/arm64: the image is not offered for it, so a build FROM it fails loudly...
forget_images
log "docker build --platform linux/arm64: FROM $from_ref (must fail: no arm64 image)"
if DOCKER_BUILDKIT=1 timeout 300 /usr/bin/docker build --progress=plain --platform linux/arm64 \
  -t ocipfs-e2e-image:arm64 "$work/build" >"$work/build-arm64-from.log" 2>&1; then
  docker_images+=(ocipfs-e2e-image:arm64)
  fail "BuildKit built FROM the linux/amd64 image for linux/arm64"
fi
grep -Eiq 'no match for platform' "$work/build-arm64-from.log" || {
  cat "$work/build-arm64-from.log" >&2
  fail "BuildKit's linux/arm64 build FROM the image failed for another reason than its platform"
}
log "BuildKit linux/arm64 FROM the image: fails with no match for platform"
# ...while a layer keeps every platform: its files are copied, not run.
mkdir -p "$work/copy"
printf 'FROM scratch\nCOPY --from=%s / /extra/\n' "$extra_ref" >"$work/copy/Dockerfile"
buildkit_build linux/arm64 ocipfs-e2e-copy:arm64 "$work/copy"
platform=$(timeout 60 /usr/bin/docker image inspect --format '{{.Os}}/{{.Architecture}}' ocipfs-e2e-copy:arm64) ||
  fail "docker image inspect of the arm64 build failed"
[[ $platform == linux/arm64 ]] || fail "the arm64 build is for $platform"
layers=$(timeout 60 /usr/bin/docker image inspect --format '{{len .RootFS.Layers}}' ocipfs-e2e-copy:arm64)
((layers == 1)) || fail "the arm64 build has $layers layers, not 1 (copied)"
log "BuildKit linux/arm64: COPY --from= the layer built, $platform, $layers layer"

# --- skopeo copy to an oci: layout, umoci unpack ---
log "skopeo copy docker://$reference oci:$work/oci:v1"
if ! timeout 300 /usr/bin/skopeo --policy "$work/policy.json" copy --src-tls-verify=false \
  "docker://$reference" "oci:$work/oci:v1" >"$work/skopeo.log" 2>&1; then
  cat "$work/skopeo.log" >&2
  fail "skopeo copy of $reference failed"
fi
manifest_digest=$(jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == "v1") |
  .digest' "$work/oci/index.json")
manifest="$work/oci/blobs/sha256/${manifest_digest#sha256:}"
[[ -f $manifest ]] || fail "skopeo copy: no manifest tagged v1 in the layout"
copied=$(jq -r '[.layers[].digest] | join(" ")' "$manifest")
[[ $copied == "${layer_digests[*]}" ]] || fail "skopeo copy: the layers are $copied, not ${layer_digests[*]}"
log "umoci unpack --rootless --image oci:v1"
if ! (cd "$work" && timeout 300 umoci unpack --rootless --image oci:v1 bundle) >"$work/umoci.log" 2>&1; then
  cat "$work/umoci.log" >&2
  fail "umoci unpack of the layout failed"
fi
rootfs=$work/bundle/rootfs
cmp -s "$rootfs/bin/busybox" /bin/busybox || fail "umoci: bin/busybox is missing or differs"
[[ $(readlink "$rootfs/bin/sh") == busybox ]] || fail "umoci: bin/sh is not a symlink to busybox"
cmp -s "$rootfs/app/run.sh" "$compose/app/run.sh" || fail "umoci: app/run.sh is missing or differs"
jq -e '.process | (.env | index("GREETING=hello-from-ipfs") and index("PATH=/bin")) and
  .cwd == "/app" and .args == ["/bin/sh", "/app/run.sh"]' "$work/bundle/config.json" >/dev/null ||
  fail "umoci: config.json's process is $(jq -c .process "$work/bundle/config.json")"
jq -e '.process.user.uid == 1234 and .process.user.gid == 1234' "$work/bundle/config.json" >/dev/null ||
  fail "umoci: config.json's user is $(jq -c .process.user "$work/bundle/config.json"), not 1234:1234"
jq -e '.annotations["org.example.e2e"] == "image.sh"' "$work/bundle/config.json" >/dev/null ||
  fail "umoci: config.json lacks the image's label as an annotation"
log "umoci: both layers' files; env, cwd, args, user and label in config.json"

# --- containerd: ctr images pull ---
socket="$work/containerd.sock"
cat >"$work/containerd.toml" <<EOF
version = 2
root = "$work/containerd/root"
state = "$work/containerd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]

[grpc]
  address = "$socket"

[ttrpc]
  address = "$socket.ttrpc"

[plugins."io.containerd.internal.v1.opt"]
  path = "$work/containerd/opt"
EOF
containerd --config "$work/containerd.toml" --log-level info >"$work/containerd.log" 2>&1 &
containerd_pid=$!
ctr() { timeout 120 /usr/bin/ctr --address "$socket" "$@"; }
ready() { kill -0 "$containerd_pid" && ctr version; }
wait_until 60 ready || {
  tail -20 "$work/containerd.log" >&2
  fail "containerd did not answer ctr version within 60 s"
}
# ctr wants a tag or a digest.
ctr_ref="$from_ref:latest"
log "ctr images pull --plain-http $ctr_ref"
if ! ctr images pull --plain-http "$ctr_ref" >"$work/ctr.log" 2>&1; then
  cat "$work/ctr.log" >&2
  fail "ctr images pull of $ctr_ref failed"
fi
grep -q "^unpacking linux/amd64 " "$work/ctr.log" || {
  cat "$work/ctr.log" >&2
  fail "ctr did not unpack the linux/amd64 image"
}
pulled=$(grep -o '^layer-sha256:[0-9a-f]*' "$work/ctr.log" | sort -u | sed 's/^layer-//')
[[ $(wc -l <<<"$pulled") == 2 ]] || fail "ctr pulled the layers '$pulled', not 2"
for digest in "${layer_digests[@]}"; do
  grep -qx "$digest" <<<"$pulled" || fail "ctr did not pull layer $digest"
done
# The pulled image's linux/amd64 manifest, from containerd's content store.
index_digest=$(ctr images ls | awk -v ref="$ctr_ref" '$1 == ref { print $3 }')
[[ $index_digest == sha256:* ]] || fail "ctr images ls does not list $ctr_ref"
amd64_digest=$(ctr content get "$index_digest" | jq -r '.manifests[] |
  select(.platform.os == "linux" and .platform.architecture == "amd64") | .digest') ||
  fail "containerd has no index $index_digest"
stored=$(ctr content get "$amd64_digest" | jq -r '[.layers[].digest] | join(" ")') ||
  fail "containerd has no linux/amd64 manifest $amd64_digest"
[[ $stored == "${layer_digests[*]}" ]] ||
  fail "containerd's linux/amd64 manifest has the layers '$stored', not ${layer_digests[*]}"
log "ctr: pulled and unpacked 2 layers: $stored"
# --- A second image of the same layers (another config): ocipfsd has the layers cached now ---
# A label new to this run: the image document is new to ocipfsd, its layers are not.
jq --arg run "$$-$RANDOM$RANDOM" '.config.Env = ["GREETING=hello-again", "PATH=/bin"] |
  .config.Labels["org.example.e2e.run"] = $run | .tag = "v2"' "$compose/image.json" >"$compose/again.json"
log "ocipfs compose $compose/again.json --ipfs-api=$IPFS_API"
if ! (cd "$work" && env -u IPFS_API timeout 300 "$ocipfs" compose "$compose/again.json" \
  --registry="$OCIPFSD_ADDR" --ipfs-api="$IPFS_API") >"$work/again.out" 2>"$work/again.err"; then
  cat "$work/again.out" "$work/again.err" >&2
  fail "ocipfs compose of the second image failed"
fi
again_ref=$(printed again "docker run")
[[ $again_ref != "$run_ref" ]] || fail "the second image has the first one's CID"
docker_images+=("$again_ref")
log "docker run --rm --network=none $again_ref (its layers cached by ocipfsd)"
started=$SECONDS
mark=$(log_mark)
if ! output=$(timeout 300 /usr/bin/docker run --rm --network=none "$again_ref" 2>"$work/again-run.err"); then
  cat "$work/again-run.err" >&2
  fail "docker run of a second image of the same layers failed after $((SECONDS - started)) s"
fi
[[ $output == "greeting=hello-again cwd=/app uid=1234" ]] ||
  fail "docker run of the second image printed '$output'"
# dockerd falls back from a failed HEAD to GET; BuildKit and ctr ask with HEAD only.
if stalled=$(tail -n +"$((mark + 1))" "$E2E_STATE/ocipfsd.log" |
  grep -E "(HEAD|GET) /v2/${again_ref#"$OCIPFSD_ADDR/"}/manifests/[^ ]* 5[0-9][0-9] "); then
  fail "ocipfsd failed a manifest request of the second image (all its layers cached): $stalled"
fi
log "second image: docker run printed '$output' in $((SECONDS - started)) s"
log "passed: $reference"
