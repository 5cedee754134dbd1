#!/usr/bin/env bash
# Installs playwright-core, as pinned by package-lock.json beside this script, once per version
# into $OCIPFS_BROWSER_HOME (default ~/.cache/ocipfs/browser-node-<version>), and prints that
# directory. It never downloads a browser: the tests drive Debian's chromium.
set -euo pipefail
spec="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
version=$(sed -n '/"node_modules\/playwright-core"/,/}/s/.*"version": "\(.*\)".*/\1/p' \
  "$spec/package-lock.json")
[[ -n $version ]] || { echo "install.sh: no playwright-core version in package-lock.json" >&2; exit 1; }
modules=${OCIPFS_BROWSER_HOME:-$HOME/.cache/ocipfs/browser-node-$version}
if [[ ! -f $modules/node_modules/playwright-core/package.json ]]; then
  echo "install.sh: installing playwright-core $version into $modules" >&2
  mkdir -p "$modules"
  cp "$spec/package.json" "$spec/package-lock.json" "$modules/"
  (cd "$modules" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 timeout 300 npm ci --no-audit --no-fund) >&2
fi
echo "$modules"
