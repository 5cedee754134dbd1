#!/usr/bin/env bash
# Installs what ocipfs needs on Debian 12, skipping what is already there.
#   install-deps.sh build   compilers and libraries
#   install-deps.sh run     build, plus what the quick start's local IPFS node needs
#   install-deps.sh test    run, plus the real clients the end-to-end tests drive, clang with its
#                           sanitizer and libFuzzer runtimes, wrk for the load test, and ccache
#                           (which every build then compiles through: CMakeLists.txt)
#   install-deps.sh only PACKAGE...   just these Debian packages (for the bench and soak scripts)
set -euo pipefail
mode=${1:-test}

build=(cmake ninja-build g++ pkg-config libboost1.81-dev libboost-url1.81-dev nlohmann-json3-dev
  libspdlog-dev libssl-dev libgtest-dev libgmock-dev ca-certificates libarchive-dev zlib1g-dev
  libzstd-dev)
run=(curl jq busybox-static)
test=(docker.io skopeo buildah podman containerd umoci uidmap iproute2 debootstrap python3 zstd
  charliecloud openssl
  clang-14 libclang-rt-14-dev clang-tidy wrk prometheus ccache nginx-light chromium)

case $mode in
  build) wanted=("${build[@]}") ;;
  run) wanted=("${build[@]}" "${run[@]}") ;;
  test) wanted=("${build[@]}" "${run[@]}" "${test[@]}") ;;
  only) wanted=("${@:2}") ;;
  *)
    echo "usage: install-deps.sh build|run|test|only PACKAGE..." >&2
    exit 2
    ;;
esac
# Node.js runs the local IPFS node; any distribution's node 18+ with npm will do.
if [[ $mode == run || $mode == test ]] && ! command -v npm >/dev/null; then wanted+=(nodejs npm); fi
# zsh checks the script that `ocipfs completion zsh` prints (tests/unit/cli/ocipfs_shell_test.cpp).
if [[ $mode == test ]]; then wanted+=(zsh); fi

missing=()
for package in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
# The compiler cache's directory (CMakeLists.txt, OCIPFS_CCACHE), made once for whoever builds.
ccache_dir=/var/cache/ocipfs/ccache
if [[ $mode == test && -z ${CCACHE_DIR:-} && ! -w $ccache_dir ]] && ((EUID != 0)); then
  sudo mkdir -p "$ccache_dir" && sudo chown "$(id -u):$(id -g)" "$ccache_dir" ||
    echo "install-deps: cannot make $ccache_dir; ccache will use ~/.cache/ocipfs/ccache" >&2
fi

# playwright-core from npm, which tests/e2e/browser.sh drives Debian's chromium with.
install_npm_packages() {
  [[ $mode == test ]] || return 0
  bash "$(dirname -- "${BASH_SOURCE[0]}")/e2e/browser/install.sh" >/dev/null
}

if ((${#missing[@]} == 0)); then
  install_npm_packages
  echo "install-deps: everything for '$mode' is installed" >&2
  exit 0
fi
echo "install-deps: installing ${missing[*]}" >&2
sudo=()
((EUID == 0)) || sudo=(sudo)
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
  "${missing[@]}" >/dev/null
install_npm_packages
