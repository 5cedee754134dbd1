# Shared helpers for the end-to-end tests: sourced, not run.
# shellcheck shell=bash

E2E_LIB_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_DIR="$(cd -- "$E2E_LIB_DIR/../.." && pwd -P)"

log() { printf '[%s] %s\n' "${E2E_NAME:-e2e}" "$*" >&2; }
fail() {
  log "FAILED: $*"
  exit 1
}

# wait_until SECONDS COMMAND...: polls COMMAND every 0.1 s until it succeeds or time runs out.
wait_until() {
  local limit=$1
  shift
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

# stop_pid PID [SECONDS]: SIGTERM, wait, then SIGKILL.
stop_pid() {
  local pid=$1 limit=${2:-10}
  [[ $pid =~ ^[0-9]+$ ]] && ((pid > 1)) || return 0  # never 0: kill -0 0 is our own group
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + limit))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

# unmount_below DIR: unmounts whatever a client left mounted below DIR (layers, a network
# namespace), deepest first.
unmount_below() {
  awk -v root="$1/" 'index($2, root) == 1 { print $2 }' /proc/mounts | sort -r |
    while read -r mount; do umount -l "$mount" || true; done
}

# make_work: a work directory for this test in `work`, with a TMPDIR of its own inside it (where
# the clients put their temporary image copies) and policy.json, the containers/image trust
# policy that accepts any image (skopeo, buildah, podman). remove_work unmounts below it and
# removes it; KEEP_WORK=1 keeps it and says where.
make_work() {
  work=$(mktemp -d)
  mkdir -p "$work/tmp"
  export TMPDIR="$work/tmp"
  echo '{"default":[{"type":"insecureAcceptAnything"}]}' >"$work/policy.json"
}
remove_work() {
  unmount_below "$work"
  [[ -n ${KEEP_WORK:-} ]] && { log "kept $work"; return; }
  rm -rf "$work"
}

# start_ocipfsd STATE_DIR ARGS...: runs ocipfsd on 127.0.0.1 with a port chosen by the OS and
# sets OCIPFSD_PID and OCIPFSD_ADDR (host:port).
start_ocipfsd() {
  local state=$1
  shift
  local binary=${OCIPFSD:-$REPO_DIR/build/ocipfsd}
  [[ -x $binary ]] || fail "no ocipfsd binary at $binary (build first)"
  "$binary" --listen=127.0.0.1:0 "$@" >"$state/ocipfsd.log" 2>&1 &
  export OCIPFSD_PID=$!
  wait_until 20 grep -q "listening on" "$state/ocipfsd.log" ||
    fail "ocipfsd did not start: $(tail -5 "$state/ocipfsd.log")"
  local port
  port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$state/ocipfsd.log" | head -1)
  [[ -n $port ]] || fail "cannot read ocipfsd's port from its log"
  export OCIPFSD_ADDR=127.0.0.1:$port
}

# start_dockerd DIR: a private dockerd with no bridge and no iptables changes; sets DOCKER_HOST.
# Its storage is overlay2 where the kernel has overlayfs and DIR is not on one (vfs copies every
# layer whole: a build on an 870 MB root wrote gigabytes), else vfs; OCIPFS_DOCKER_STORAGE chooses.
start_dockerd() {
  local dir=$1 driver=${OCIPFS_DOCKER_STORAGE:-}
  mkdir -p "$dir"
  if [[ -z $driver ]]; then
    driver=vfs
    if grep -qw overlay /proc/filesystems && [[ $(stat -f -c %T "$dir") != overlayfs ]]; then
      driver=overlay2
    fi
  fi
  dockerd --storage-driver="$driver" --iptables=false --ip6tables=false --bridge=none \
    --ip-masq=false --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$dir/pid" \
    --host "unix://$dir/docker.sock" >"$dir/dockerd.log" 2>&1 &
  echo $! >"$dir/dockerd.pid"
  export DOCKER_HOST="unix://$dir/docker.sock"
  if ! wait_until 60 /usr/bin/docker version && [[ $driver == overlay2 && -z ${OCIPFS_DOCKER_STORAGE:-} ]]; then
    log "dockerd did not start with overlay2 (see $dir/dockerd-overlay2.log): with vfs"
    stop_pid "$(cat "$dir/dockerd.pid")" 20
    mv "$dir/dockerd.log" "$dir/dockerd-overlay2.log"
    unmount_below "$dir"
    rm -rf "$dir/data" "$dir/exec"
    OCIPFS_DOCKER_STORAGE=vfs start_dockerd "$dir"
    return
  fi
  /usr/bin/docker version >/dev/null 2>&1 || fail "dockerd did not start: $(tail -5 "$dir/dockerd.log")"
}

# start_containerd DIR: a containerd of its own, with its root, state and socket in DIR and the cri
# plugin disabled; sets CONTAINERD_PID, and ctr (a function) talks to it.
start_containerd() {
  local dir=$1
  mkdir -p "$dir"
  CONTAINERD_SOCKET="$dir/containerd.sock"
  cat >"$dir/config.toml" <<TOML
version = 2
root = "$dir/root"
state = "$dir/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]

[grpc]
  address = "$CONTAINERD_SOCKET"

[ttrpc]
  address = "$CONTAINERD_SOCKET.ttrpc"

[plugins."io.containerd.internal.v1.opt"]
  path = "$dir/opt"
TOML
  log "starting containerd ($(containerd --version)) with its socket at $CONTAINERD_SOCKET"
  containerd --config "$dir/config.toml" --log-level info >"$dir/containerd.log" 2>&1 &
  CONTAINERD_PID=$!
  # shellcheck disable=SC2317  # called by the scripts that source this
  ctr() { timeout 120 /usr/bin/ctr --address "$CONTAINERD_SOCKET" "$@"; }
  if ! wait_until 60 containerd_ready; then
    tail -20 "$dir/containerd.log" >&2
    fail "containerd: the daemon did not answer ctr version within 60 s"
  fi
}
containerd_ready() { kill -0 "$CONTAINERD_PID" && ctr version; }

# The state written by the e2e setup.
# load_state: the suite's state. With OCIPFS_E2E_BLOBS=proxy, OCIPFSD_ADDR and OCIPFSD_LOG are
# the ocipfsd that streams layers itself (--blobs=proxy), whose redirect gateway is a closed port:
# a client it sent there would fail.
load_state() {
  local state=${E2E_STATE:?E2E_STATE must point at the e2e state directory}
  [[ -f $state/env ]] || fail "no e2e state in $state (did e2e.setup run?)"
  # shellcheck disable=SC1091
  source "$state/env"
  export OCIPFSD_LOG=$state/ocipfsd.log
  if [[ ${OCIPFS_E2E_BLOBS:-redirect} == proxy ]]; then
    export OCIPFSD_ADDR=$OCIPFSD_PROXY_ADDR OCIPFSD_LOG=$state/proxy/ocipfsd.log
    E2E_NAME="$E2E_NAME (--blobs=proxy)"
  fi
}

# expect_example_files DIR: the example layer's files arrived with the right content.
expect_example_files() {
  local dir=$1
  [[ -f $dir/hello.txt ]] || fail "hello.txt is missing in $dir: $(find "$dir" | head -20)"
  cmp -s "$dir/hello.txt" "$E2E_STATE/expected/hello.txt" || fail "hello.txt differs"
  cmp -s "$dir/usr/share/ocipfs-example/README" "$E2E_STATE/expected/usr/share/ocipfs-example/README" ||
    fail "usr/share/ocipfs-example/README differs or is missing"
}

# log_mark: how many lines ocipfsd has logged so far.
log_mark() { wc -l <"$OCIPFSD_LOG"; }

# expect_layer_fetched MARK CID WHAT: after line MARK, ocipfsd answered a GET of layer/CID's layer
# blob: a 302 to the gateway, or with --blobs=proxy a 200 with its bytes; so the layer came from
# IPFS, not from a cache of dockerd or BuildKit.
expect_layer_fetched() {
  local layer_digest status=302
  [[ ${OCIPFS_E2E_BLOBS:-redirect} == proxy ]] && status=200
  layer_digest=$(jq -r .layer.digest "$REPO_DIR/example/layer.json")
  tail -n +"$(($1 + 1))" "$OCIPFSD_LOG" |
    grep -q "GET /v2/layer/$2/blobs/$layer_digest $status " ||
    fail "$3: ocipfsd did not answer a GET of layer/$2's layer blob $status (was the layer cached?)"
}

# forget_example_layer_for_proxy: with OCIPFS_E2E_BLOBS=proxy, removes the suite dockerd's
# containers and images that hold the example layer (by its diff_id), which the redirecting
# tests leave behind: dockerd and BuildKit would take the layer from them ("Already exists")
# instead of pulling it through ocipfsd. (The proxy tests run after the others.)
forget_example_layer_for_proxy() {
  [[ ${OCIPFS_E2E_BLOBS:-redirect} == proxy ]] || return 0
  local diff_id image containers=()
  diff_id=$(jq -r '.layer.annotations["io.ocipfs.layer.fs.digest"]' "$REPO_DIR/example/layer.json")
  for image in $(timeout 60 /usr/bin/docker image ls -aq | sort -u); do
    timeout 60 /usr/bin/docker image inspect --format '{{range .RootFS.Layers}}{{println .}}{{end}}' \
      "$image" 2>/dev/null | grep -qx "$diff_id" || continue
    mapfile -t containers < <(timeout 60 /usr/bin/docker ps -aq --filter "ancestor=$image")
    ((${#containers[@]} == 0)) || timeout 60 /usr/bin/docker rm -f "${containers[@]}" >/dev/null 2>&1 || true
    timeout 60 /usr/bin/docker rmi -f "$image" >/dev/null 2>&1 || true
  done
}

# printed NAME PREFIX: the rest of the line that starts with PREFIX in $work/NAME.out (what an
# ocipfs command printed there); fails when there is none.
printed() {
  local line
  line=$(sed -n "s|^$2 *||p" "$work/$1.out" | head -1)
  [[ -n $line ]] || fail "$1: ocipfs printed no '$2' line"
  printf '%s\n' "$line"
}

# run_logged NAME WHAT COMMAND...: runs COMMAND with its output in $work/NAME.log; on failure
# shows the log and fails with WHAT.
run_logged() {
  local name=$1 what=$2
  shift 2
  if ! "$@" >"$work/$name.log" 2>&1; then
    cat "$work/$name.log" >&2
    fail "$what"
  fi
}

# copy_from_context DIR REF: a build context in DIR whose Dockerfile copies REF into scratch.
copy_from_context() {
  mkdir -p "$1"
  printf 'FROM scratch\nCOPY --from=%s / /\n' "$2" >"$1/Dockerfile"
}

# with_suite_docker_and_ocipfs: the docker CLI talks to the suite's dockerd, and $ocipfs is the
# ocipfs binary under test.
with_suite_docker_and_ocipfs() {
  export DOCKER_HOST="unix://$E2E_STATE/docker/docker.sock"
  ocipfs=${OCIPFS:-$REPO_DIR/build/ocipfs}
  [[ -x $ocipfs ]] || fail "no ocipfs binary at $ocipfs (build first)"
}

# need_static_busybox: /bin/busybox from Debian's busybox-static (installed if missing), static,
# since an image FROM scratch has no libc.
need_static_busybox() {
  if [[ ! -x /bin/busybox ]]; then
    log "installing Debian's busybox-static"
    bash "$REPO_DIR/tests/install-deps.sh" only busybox-static </dev/null >&2 ||
      fail "cannot install busybox-static"
  fi
  [[ -x /bin/busybox ]] || fail "no /bin/busybox (Debian package busybox-static)"
  if ldd /bin/busybox >/dev/null 2>&1; then
    fail "/bin/busybox is dynamically linked (install busybox-static, not busybox)"
  fi
}
