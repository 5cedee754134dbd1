#!/usr/bin/env bash
# ocipfsd's own TLS (--tls-cert, --tls-key) with real clients that trust only a test CA: skopeo copy
# --src-cert-dir, docker pull (the CA in /etc/docker/certs.d/HOST:PORT/ca.crt, removed afterwards),
# BuildKit COPY --from=, podman pull --cert-dir, ctr images pull --tlscacert, and charliecloud's
# ch-image (HTTPS only). Every pull must have used TLS (ocipfsd's /metrics count the handshakes,
# and no plain HTTP came), and each client that verifies certificates on 127.0.0.1 fails without
# the CA, refusing the certificate. dockerd treats 127.0.0.0/8 as insecure and skips verification there: for docker and
# BuildKit only the use of TLS is checked.
set -euo pipefail
E2E_NAME=tls
# shellcheck source=tests/e2e/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
load_state
make_work
export DOCKER_HOST="unix://$E2E_STATE/docker/docker.sock" DOCKER_BUILDKIT=1
docker() { timeout 300 /usr/bin/docker "$@"; }
label="ocipfs-e2e-tls-$$"
tls_pid='' docker_certs='' ref=''
cleanup() {
  local ids=()
  mapfile -t ids < <(docker ps -aq --filter "label=$label" 2>/dev/null || true)
  ((${#ids[@]} == 0)) || docker rm -f "${ids[@]}" >/dev/null 2>&1 || true
  [[ -z $ref ]] || docker rmi -f "$ref" >/dev/null 2>&1 || true
  [[ -z $docker_certs ]] || rm -rf "$docker_certs"
  [[ -z ${CONTAINERD_PID:-} ]] || stop_pid "$CONTAINERD_PID" 20
  [[ -z $tls_pid ]] || stop_pid "$tls_pid"
  remove_work
}
trap cleanup EXIT

# The test CA, a certificate for 127.0.0.1, and a second ocipfsd serving HTTPS with them.
"$REPO_DIR/tests/tools/test-certificates.sh" "$work/pki" server 1001
ca=$work/pki/ca.pem
mkdir -p "$work/certs" "$work/tls"
cp "$ca" "$work/certs/ca.crt" # a --cert-dir, --src-cert-dir or certs.d directory
start_ocipfsd "$work/tls" --gateway="$IPFS_GATEWAY" --gateway-timeout=5s --threads=2 \
  --tls-cert="$work/pki/server.pem" --tls-key="$work/pki/server.key"
tls_pid=$OCIPFSD_PID
addr=$OCIPFSD_ADDR
ref="$addr/layer/$EXAMPLE_CID:$EXAMPLE_FILE"
log "ocipfsd with TLS on $addr (pid $tls_pid)"

# metric SERIES: a value from ocipfsd's /metrics, fetched over HTTPS (one handshake more).
metric() {
  curl -fsS --max-time 30 --cacert "$ca" "https://$addr/metrics" |
    awk -v series="$1" '$1 == series { print $2 }'
}
plain_series='ocipfs_tls_handshake_failures_total{reason="plain_http"}'

# over_tls NAME WHAT COMMAND...: runs COMMAND (as run_logged does); ocipfsd must have completed a
# TLS handshake for it, and seen no plain HTTP.
over_tls() {
  local name=$1 what=$2 before plain after
  shift 2
  before=$(metric ocipfs_tls_handshakes_total)
  plain=$(metric "$plain_series")
  log "$name: $*"
  run_logged "$name" "$what" "$@"
  after=$(metric ocipfs_tls_handshakes_total)
  ((after > before + 1)) || fail "$name: no TLS handshake for it ($before, then $after)"
  [[ $(metric "$plain_series") == "$plain" ]] || fail "$name: it sent plain HTTP to the TLS port"
}

# untrusted NAME COMMAND...: COMMAND, without the CA, must fail, and ocipfsd must have seen the
# client refuse its certificate (ctr then falls back to plain HTTP on 127.0.0.1, and is told to
# use https).
refused_series='ocipfs_tls_handshake_failures_total{reason="refused"}'
untrusted() {
  local name=$1 before
  shift
  before=$(metric "$refused_series")
  log "$name (without the CA): $*"
  if "$@" >"$work/$name.log" 2>&1; then fail "$name: succeeded without trusting the test CA"; fi
  (($(metric "$refused_series") > before)) || {
    cat "$work/$name.log" >&2
    fail "$name: failed without the CA, but did not refuse ocipfsd's certificate"
  }
}

# skopeo copy: the layer blob in the OCI layout holds the files.
skopeo() { timeout 300 /usr/bin/skopeo --policy "$work/policy.json" "$@"; }
untrusted skopeo-untrusted skopeo copy "docker://$ref" "oci:$work/untrusted:x"
over_tls skopeo "skopeo copy --src-cert-dir over HTTPS failed" \
  skopeo copy --src-cert-dir "$work/certs" "docker://$ref" "oci:$work/skopeo:x"
manifest=$(jq -r '.manifests[0].digest | sub(":"; "/")' "$work/skopeo/index.json")
layer=$(jq -r '.layers[0].digest | sub(":"; "/")' "$work/skopeo/blobs/$manifest")
mkdir "$work/skopeo-files"
tar -xf "$work/skopeo/blobs/$layer" -C "$work/skopeo-files"
expect_example_files "$work/skopeo-files"

# docker pull, with the CA where dockerd looks for it; the files of a container made from it.
docker_certs=/etc/docker/certs.d/$addr
mkdir -p "$docker_certs"
cp "$ca" "$docker_certs/ca.crt"
over_tls docker-pull "docker pull over HTTPS failed" docker pull "$ref"
container=$(docker create --label "$label" "$ref" x) || fail "docker create $ref failed"
mkdir "$work/docker-rootfs"
docker export "$container" | tar -x -C "$work/docker-rootfs"
expect_example_files "$work/docker-rootfs"

# BuildKit: COPY --from= the layer, without BuildKit's cache.
copy_from_context "$work/buildkit" "$ref"
docker builder prune --all --force >/dev/null || fail "docker builder prune failed"
over_tls buildkit "BuildKit COPY --from= over HTTPS failed" \
  docker build --progress=plain -o "type=local,dest=$work/buildkit/out" "$work/buildkit"
expect_example_files "$work/buildkit/out"
# containers/image reads /etc/docker/certs.d too: gone, so that the clients below trust only what
# they are given.
rm -rf "$docker_certs"
docker_certs=''

# podman pull --cert-dir, its files through podman image mount.
podman() {
  timeout 300 /usr/bin/podman --root "$work/root" --runroot "$work/runroot" --storage-driver vfs \
    --tmpdir "$work/libpod" --network-config-dir "$work/networks" --volumepath "$work/volumes" \
    --cgroup-manager cgroupfs --events-backend file "$@"
}
untrusted podman-untrusted podman pull --signature-policy "$work/policy.json" "$ref"
over_tls podman "podman pull --cert-dir over HTTPS failed" \
  podman pull --cert-dir "$work/certs" --signature-policy "$work/policy.json" "$ref"
mountpoint=$(podman image mount "$ref") || fail "podman image mount $ref failed"
expect_example_files "$mountpoint"
podman image unmount "$ref" >/dev/null || fail "podman image unmount failed"

# ctr images pull --tlscacert, with a containerd of its own. ctr 1.6 speaks plain HTTP to
# 127.0.0.1 whatever its TLS flags say; a hosts.toml naming the https host makes it use TLS (the
# file needs a [host] table, else it is ignored).
start_containerd "$work/containerd"
mkdir -p "$work/hosts/$addr"
printf 'server = "https://%s"\n[host."https://%s"]\n  capabilities = ["pull", "resolve"]\n' \
  "$addr" "$addr" >"$work/hosts/$addr/hosts.toml"
untrusted ctr-untrusted ctr images pull --hosts-dir "$work/hosts" "$ref"
over_tls ctr "ctr images pull --tlscacert over HTTPS failed" \
  ctr images pull --hosts-dir "$work/hosts" --tlscacert "$ca" "$ref"
grep -q "^unpacking linux/amd64 " "$work/ctr.log" || fail "ctr did not unpack the linux/amd64 image"

# charliecloud's ch-image, which speaks HTTPS only; Python's requests trusts REQUESTS_CA_BUNDLE.
# Run with Debian's python3, which has its modules.
ch_image() { USER=${USER:-root} timeout 300 /usr/bin/python3 /usr/bin/ch-image -s "$work/ch" "$@"; }
if [[ -x /usr/bin/ch-image ]]; then
  untrusted ch-image-untrusted ch_image pull "$ref"
  REQUESTS_CA_BUNDLE=$ca over_tls ch-image "ch-image pull over HTTPS failed" ch_image pull "$ref"
  image_dir=$(find "$work/ch/img" -mindepth 1 -maxdepth 1 -type d | head -1)
  [[ -n $image_dir ]] || fail "ch-image: no image in $work/ch/img"
  expect_example_files "$image_dir"
else
  log "charliecloud is not installed (apt-get install charliecloud): ch-image skipped"
fi
log "passed"
