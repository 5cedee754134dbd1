#!/usr/bin/env bash
# The container test's build root: Debian 12 with the packages of docker/Dockerfile's build stage,
# made once with debootstrap (no base image can be pulled here) and kept as a tarball outside the
# checkout; remade when the packages change. Prints the tarball's path. container.sh uses it;
# tests/run.sh makes it ahead, while it compiles.
#   build-root.sh
#     OCIPFS_DEBOOTSTRAP_CACHE  where the tarball is kept (default ~/.cache/ocipfs/debootstrap)
#     DEBIAN_MIRROR             the Debian mirror (default http://deb.debian.org/debian)
set -euo pipefail
E2E_NAME=build-root
# shellcheck source=tests/e2e/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

cache=${OCIPFS_DEBOOTSTRAP_CACHE:-${HOME:-/root}/.cache/ocipfs/debootstrap}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
# The packages of the Dockerfile's build stage, and ccache (container.sh gives the build a compiler
# cache); the cached root is remade when they change.
packages=cmake,ninja-build,g++,pkg-config,libboost1.81-dev,libboost-url1.81-dev,nlohmann-json3-dev,libspdlog-dev,libssl-dev,libarchive-dev,zlib1g-dev,libzstd-dev,ca-certificates,ccache
# Left out of the root: the downloaded packages and the documentation (a quarter of it).
slim=('var/cache/apt/archives/*.deb' usr/share/doc usr/share/man usr/share/info)
base_tar="$cache/bookworm-build-$(printf '%s;%s' "$packages" "${slim[*]}" | sha256sum | cut -c1-12).tar"

if [[ ! -s $base_tar ]]; then
  mkdir -p "$cache"
  # One debootstrap at a time (run.sh's and a container test's, or two runs on one machine).
  exec 9>"$cache/.lock"
  flock 9
fi
if [[ ! -s $base_tar ]]; then
  root="$cache/root.$$"
  log_file=$(mktemp)
  log "debootstrap bookworm from $mirror (once; cached in $cache)"
  timeout 1800 debootstrap --variant=minbase --include="$packages" bookworm "$root" "$mirror" >"$log_file" 2>&1 || {
    tail -20 "$log_file" >&2
    rm -rf "$root" "$log_file"
    fail "debootstrap failed"
  }
  (cd "$root" && shopt -s nullglob && rm -rf ${slim[*]})
  tar -C "$root" -cf "$base_tar.tmp" . && mv "$base_tar.tmp" "$base_tar"
  rm -rf "$root" "$log_file"
fi
printf '%s\n' "$base_tar"
