#!/usr/bin/env bash
# The failure paths as a user meets them: a CID the gateway never answers for (504), a directory's
# and a tarball's CID where a layer manifest belongs, a tag that is not the layer's file name, and a
# layer manifest without its diff_id annotation. docker pull and skopeo inspect print the registry's
# message. BuildKit asks with HEAD, which has no body: it prints the status line of a 400 or a 5xx
# as it came (ocipfsd's carries the message), and "not found" for any 404. podman pull prints the message
# too; buildah bud and podman build hide it, so for them only the failure is checked.
set -euo pipefail
E2E_NAME=failures
# shellcheck source=tests/e2e/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
load_state
export DOCKER_HOST="unix://$E2E_STATE/docker/docker.sock"
work=$(mktemp -d)
mkdir -p "$work/tmp"
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
echo '{"default":[{"type":"insecureAcceptAnything"}]}' >"$work/policy.json"
# Every command is bounded: a 504 takes ocipfsd's --gateway-timeout (5 s) per request.
limit=120

# base32_cid CID: CID in lowercase base32. Names carry only lowercase bases, and a CIDv1 in base58btc
# (z...) is turned into base32; the bytes, and so the content, stay the same.
base32_cid() {
  local cid=$1
  [[ $cid == z* ]] || {
    printf '%s\n' "$cid"
    return
  }
  local alphabet=123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz
  local base32=abcdefghijklmnopqrstuvwxyz234567
  local -a bytes=() # little-endian
  local i j carry prefix text=${cid#z} out=b acc=0 bits=0
  for ((i = 0; i < ${#text}; i++)); do
    prefix=${alphabet%%"${text:i:1}"*}
    ((${#prefix} < 58)) || fail "failures: $cid is not base58btc"
    carry=${#prefix}
    for ((j = 0; j < ${#bytes[@]}; j++)); do
      carry=$((carry + bytes[j] * 58))
      bytes[j]=$((carry & 255))
      carry=$((carry >> 8))
    done
    while ((carry > 0)); do
      bytes+=($((carry & 255)))
      carry=$((carry >> 8))
    done
  done
  for ((i = 0; i < ${#text}; i++)); do
    [[ ${text:i:1} == 1 ]] || break
    bytes+=(0) # a leading 1 is a leading zero byte
  done
  for ((j = ${#bytes[@]} - 1; j >= 0; j--)); do
    acc=$(((acc << 8) | bytes[j]))
    bits=$((bits + 8))
    while ((bits >= 5)); do
      bits=$((bits - 5))
      out+=${base32:$(((acc >> bits) & 31)):1}
    done
    acc=$((acc & ((1 << bits) - 1)))
  done
  if ((bits > 0)); then out+=${base32:$(((acc << (5 - bits)) & 31)):1}; fi
  printf '%s\n' "$out"
}

unknown=$(base32_cid "$UNKNOWN_CID")
[[ $unknown == "$UNKNOWN_CID" ]] ||
  log "UNKNOWN_CID $UNKNOWN_CID is not in a lowercase base; using it as $unknown"

# expect_failure CLIENT CASE EXPECTED COMMAND...: COMMAND (bounded by `timeout $limit` inside) must
# fail, and its output must contain EXPECTED (a fixed string, any case; empty: only the failure).
expect_failure() {
  local client=$1 case=$2 expected=$3 log_file="$work/$1.$2.log" status=0
  log_file=${log_file// /-}
  shift 3
  log "$client, $case: $*"
  local started=$SECONDS
  "$@" >"$log_file" 2>&1 || status=$?
  # What the client printed, and when: the README quotes it.
  log "$client, $case: failed after $((SECONDS - started)) s: $(grep -i 'error' "$log_file" | tail -1)"
  if ((status == 0)); then
    cat "$log_file" >&2
    fail "$client: $case succeeded, it should fail"
  fi
  if ((status == 124)); then
    cat "$log_file" >&2
    fail "$client: $case did not fail within $limit s"
  fi
  # skopeo and podman log through logrus, which writes " as \".
  if [[ -n $expected ]] && ! sed 's/\\"/"/g' "$log_file" | grep -Fiq -- "$expected"; then
    cat "$log_file" >&2
    fail "$client: $case failed without saying '$expected'"
  fi
}

# buildkit_build CASE REF: a BuildKit build with COPY --from=REF.
buildkit_build() {
  copy_from_context "$work/buildkit.$1" "$2"
  DOCKER_BUILDKIT=1 timeout "$limit" /usr/bin/docker build --progress=plain \
    -o "type=local,dest=$work/buildkit.$1/out" "$work/buildkit.$1"
}
# containers_build CASE REF TOOL SUBCOMMAND ARGS...: `TOOL ARGS... SUBCOMMAND` of a Dockerfile with
# COPY --from=REF, with private vfs storage.
containers_build() {
  local case=$1 ref=$2 tool=$3 subcommand=$4
  shift 4
  copy_from_context "$work/$tool.$case" "$ref"
  timeout "$limit" "/usr/bin/$tool" --root "$work/$tool.root" --runroot "$work/$tool.runroot" \
    --storage-driver vfs "$@" "$subcommand" --tls-verify=false --isolation chroot \
    --signature-policy "$work/policy.json" "$work/$tool.$case"
}
podman_args=(--tmpdir "$work/podman.libpod" --network-config-dir "$work/podman.networks"
  --volumepath "$work/podman.volumes" --cgroup-manager cgroupfs --events-backend file)

# check CASE REF MESSAGE BUILDKIT_MESSAGE: every client fails on REF.
check() {
  local case=$1 ref=$2 message=$3 buildkit_message=$4
  /usr/bin/docker rmi -f "$ref" >/dev/null 2>&1 || true
  expect_failure "docker pull" "$case" "$message" timeout "$limit" /usr/bin/docker pull "$ref"
  expect_failure "docker build (BuildKit)" "$case" "$buildkit_message" buildkit_build "$case" "$ref"
  expect_failure "skopeo inspect" "$case" "$message" timeout "$limit" /usr/bin/skopeo \
    --policy "$work/policy.json" inspect --tls-verify=false "docker://$ref"
  expect_failure "podman pull" "$case" "$message" timeout "$limit" /usr/bin/podman \
    --root "$work/podman.root" --runroot "$work/podman.runroot" --storage-driver vfs \
    "${podman_args[@]}" pull --tls-verify=false --signature-policy "$work/policy.json" "$ref"
  expect_failure "buildah bud" "$case" "" containers_build "$case" "$ref" buildah bud
  expect_failure "podman build" "$case" "" \
    containers_build "$case" "$ref" podman build "${podman_args[@]}"
}

missing="no gateway answered for layer manifest $unknown in time (is it pinned, or imported where"
check unknown-cid "$OCIPFSD_ADDR/layer/$unknown:latest" "$missing" "504 Gateway Timeout: $missing"
directory="$DIR_CID is a UnixFS directory ($IPFS_GATEWAY lists it as a web page), not a layer manifest: use the layer manifest's CID"
check directory-cid "$OCIPFSD_ADDR/layer/$DIR_CID:latest" "$directory" "400 Bad Request: $directory"
tarball="$TARBALL_CID is a gzip stream, not a layer manifest: use the layer manifest's CID"
check tarball-cid "$OCIPFSD_ADDR/layer/$TARBALL_CID:latest" "$tarball" "400 Bad Request: $tarball"
check wrong-tag "$OCIPFSD_ADDR/layer/$EXAMPLE_CID:other.tar.gz" \
  "tag \"other.tar.gz\" is not in layer/$EXAMPLE_CID; its tags are: $EXAMPLE_FILE, latest" \
  "$OCIPFSD_ADDR/layer/$EXAMPLE_CID:other.tar.gz: not found"
check broken-manifest "$OCIPFSD_ADDR/layer/$BROKEN_CID:$EXAMPLE_FILE" \
  "layer manifest $BROKEN_CID is invalid: layer.annotations.io.ocipfs.layer.fs.digest is missing" \
  "$OCIPFSD_ADDR/layer/$BROKEN_CID:$EXAMPLE_FILE: not found"
log "passed"
