#!/usr/bin/env bash
# Quick start on Debian 12, offline: installs what is missing, builds ocipfsd and ocipfs, starts a
# local IPFS node holding this example layer and the example image (example/image/compose.json:
# a static busybox layer and a script), and serves both with ocipfsd. Ctrl-C stops everything.
#   bash example/quickstart.sh          (PORT defaults to 5000)
set -euo pipefail
repo="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
build=${BUILD_DIR:-$repo/build}
state=${OCIPFS_QUICKSTART_DIR:-$build/quickstart}
port=${PORT:-5000}
node="$repo/tests/ipfs-node/ipfs-node.sh"

bash "$repo/tests/install-deps.sh" run
bash "$node" install
[[ -f $build/CMakeCache.txt ]] ||
  cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)" --target ocipfsd ocipfs_cli

ocipfsd_pid=""
cleanup() {
  trap - EXIT INT TERM
  [[ -n $ocipfsd_pid ]] && kill -TERM "$ocipfsd_pid" 2>/dev/null && wait "$ocipfsd_pid" 2>/dev/null
  bash "$node" stop "$state/ipfs" || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bash "$node" start "$state/ipfs"
# shellcheck disable=SC1091
source "$state/ipfs/env"
file=$(jq -r '.layer.annotations["io.ocipfs.layer.ipfs.cid"]' "$repo/example/layer.json")
dir=$(bash "$node" add "$state/ipfs" "$repo/example/${file#*/}" "${file#*/}" dag-pb v0 | tail -1)
[[ $dir == "${file%%/*}" ]] || { echo "example/layer.json does not match the tarball" >&2; exit 1; }
cid=$(bash "$node" add-raw "$state/ipfs" "$repo/example/layer.json" raw)

# The example image: example/image/compose.json, with a busybox layer made of the host's static
# /bin/busybox (Debian's busybox-static), composed and added to the node.
rm -rf "$state/image"
cp -r "$repo/example/image" "$state/image"
mkdir -p "$state/image/busybox/bin"
cp /bin/busybox "$state/image/busybox/bin/busybox"
for applet in sh id pwd echo cat ls; do ln -s busybox "$state/image/busybox/bin/$applet"; done
composed=$("$build/ocipfs" compose "$state/image/compose.json" --ipfs-api="$IPFS_API" \
  --registry="127.0.0.1:$port") || { echo "ocipfs compose failed" >&2; exit 1; }
image=$(sed -n 's/^reference  *//p' <<<"$composed")

"$build/ocipfsd" --listen="127.0.0.1:$port" --gateway="$IPFS_GATEWAY" &
ocipfsd_pid=$!
for _ in $(seq 100); do
  curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break
  kill -0 "$ocipfsd_pid" 2>/dev/null || exit 1
  sleep 0.1
done

ref="127.0.0.1:$port/layer/$cid:${file#*/}"
cat <<TEXT

ocipfsd is serving the example layer and the example image from a local IPFS node (gateway
$IPFS_GATEWAY). In a Dockerfile:

    COPY --from=$ref / /
    FROM $image

or, from a second terminal:

    docker pull $ref
    docker build $repo/example
    docker run --rm $image

Ctrl-C stops ocipfsd and the IPFS node.
TEXT
wait "$ocipfsd_pid"
