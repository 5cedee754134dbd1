#!/usr/bin/env bash
# `ocipfs import` of a large OCI layout beside `sha256sum` of the same bytes, in one run: each
# one's MiB/s, ocipfs's peak RSS (at most 64 MiB), and the bytes it read (strace: each blob read
# once). A benchmark, not a timed test.
#   tests/bench/import.sh BUILD_DIR [MiB]   (default 1024)
set -euo pipefail
build=${1:?usage: import.sh BUILD_DIR [MiB]}
mib=${2:-1024}
ocipfs=$build/ocipfs
[[ -x $ocipfs ]] || { echo "no $ocipfs (build ocipfs_cli first)" >&2; exit 2; }
command -v strace >/dev/null || bash "$(dirname -- "${BASH_SOURCE[0]}")/../install-deps.sh" only strace
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# An OCI layout of one image: a layer of incompressible bytes (stored as they are), a config and
# a manifest, as skopeo writes them.
layout=$work/layout
mkdir -p "$layout/blobs/sha256"
head -c "$((mib * 1024 * 1024))" /dev/urandom >"$work/layer"
layer=$(sha256sum "$work/layer" | cut -d' ' -f1)
mv "$work/layer" "$layout/blobs/sha256/$layer"
blob() { # blob FILE: moves FILE into the layout; prints its hex digest
  local hex
  hex=$(sha256sum "$1" | cut -d' ' -f1)
  mv "$1" "$layout/blobs/sha256/$hex"
  printf '%s' "$hex"
}
printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"config":{}}' \
  "$layer" >"$work/config"
config_size=$(stat -c %s "$work/config")
config=$(blob "$work/config")
size=$(stat -c %s "$layout/blobs/sha256/$layer")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
  "$config" "$config_size" "$layer" "$size" >"$work/manifest"
manifest_size=$(stat -c %s "$work/manifest")
manifest=$(blob "$work/manifest")
printf '{"imageLayoutVersion":"1.0.0"}' >"$layout/oci-layout"
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"bench"}}]}' \
  "$manifest" "$manifest_size" >"$layout/index.json"
cat "$layout/blobs/sha256/$layer" >/dev/null # both runs read from the page cache

seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }
t0=$(date +%s%N)
sha256sum "$layout/blobs/sha256/$layer" >/dev/null
t1=$(date +%s%N)
/usr/bin/time -f '%M' -o "$work/rss" "$ocipfs" import "$layout" --car="$work/out.car" >"$work/import.out"
t2=$(date +%s%N)
# The same import again under strace, for the bytes it reads (slower: not timed).
strace -f -qq -e trace=read,pread64 -e status=successful -o "$work/strace" \
  "$ocipfs" import "$layout" --car="$work/again.car" >/dev/null
read_bytes=$(awk -F'= ' '/^[0-9]+ +(read|pread64)\(/ { total += $NF } END { printf "%d", total }' "$work/strace")
cmp -s "$work/out.car" "$work/again.car" || { echo "two imports wrote different CARs" >&2; exit 1; }
sha=$(seconds "$t0" "$t1")
import=$(seconds "$t1" "$t2")
rss_kib=$(cat "$work/rss")
awk -v size="$size" -v sha="$sha" -v import="$import" -v rss="$rss_kib" -v read="$read_bytes" \
  -v car="$(stat -c %s "$work/out.car")" 'BEGIN {
  mb = size / 1048576
  printf "layout           %.0f MiB (one layer blob, a config, a manifest)\n", mb
  printf "sha256sum        %.2f s, %.0f MiB/s\n", sha, mb / sha
  printf "ocipfs import    %.2f s, %.0f MiB/s (every blob checked, UnixFS DAG, CAR of %.0f MiB)\n", import, mb / import, car / 1048576
  printf "ratio            %.2fx of sha256sum\n", sha / import
  printf "bytes read       %.0f (%.3fx the layer blob: each blob read once)\n", read, read / size
  printf "peak RSS         %.1f MiB (limit 64 MiB)\n", rss / 1024
  exit (rss / 1024 <= 64 && read / size < 1.01) ? 0 : 1
}'
