#!/usr/bin/env bash
# `ocipfs pack` of a large tarball beside `sha256sum` of the same file, in one run: peak RSS of
# ocipfs (at most 64 MiB) and each one's MiB/s. A benchmark, not a timed test.
#   tests/bench/pack.sh BUILD_DIR [MiB]   (default 1024)
set -euo pipefail
build=${1:?usage: pack.sh BUILD_DIR [MiB]}
mib=${2:-1024}
ocipfs=$build/ocipfs
[[ -x $ocipfs ]] || { echo "no $ocipfs (build ocipfs_cli first)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A tarball of incompressible data, stored uncompressed (.tar): every byte is hashed.
mkdir "$work/tree"
head -c "$((mib * 1024 * 1024))" /dev/urandom >"$work/tree/data.bin"
tar -cf "$work/layer.tar" -C "$work/tree" data.bin
rm -rf "$work/tree"
size=$(stat -c %s "$work/layer.tar")
cat "$work/layer.tar" >/dev/null # both runs read from the page cache

seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }
t0=$(date +%s%N)
sha256sum "$work/layer.tar" >/dev/null
t1=$(date +%s%N)
/usr/bin/time -f '%M' -o "$work/rss" "$ocipfs" pack "$work/layer.tar" >"$work/pack.out"
t2=$(date +%s%N)
sha=$(seconds "$t0" "$t1")
pack=$(seconds "$t1" "$t2")
rss_kib=$(cat "$work/rss")
awk -v size="$size" -v sha="$sha" -v pack="$pack" -v rss="$rss_kib" 'BEGIN {
  mb = size / 1048576
  printf "tarball          %.0f MiB\n", mb
  printf "sha256sum        %.2f s, %.0f MiB/s\n", sha, mb / sha
  printf "ocipfs pack      %.2f s, %.0f MiB/s (tarball sha256, diff_id, UnixFS DAG, CAR written)\n", pack, mb / pack
  printf "ratio            %.2fx of sha256sum\n", sha / pack
  printf "peak RSS         %.1f MiB (limit 64 MiB)\n", rss / 1024
  exit (rss / 1024 <= 64) ? 0 : 1
}'
