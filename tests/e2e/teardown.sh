#!/usr/bin/env bash
# e2e fixture cleanup: stops ocipfsd and the IPFS node that setup.sh started.
#   teardown.sh STATE_DIR
set -euo pipefail
E2E_NAME=teardown
# shellcheck source=tests/e2e/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
state=${1:?usage: teardown.sh STATE_DIR}
if [[ -f $state/env ]]; then
  # shellcheck disable=SC1091
  source "$state/env"
  stop_pid "$OCIPFSD_PID"
  stop_pid "${OCIPFSD_PROXY_PID:-0}"
fi
"$REPO_DIR/tests/ipfs-node/ipfs-node.sh" stop "$state/ipfs" || true
# A sanitizer build of ocipfsd reports here, at the latest when it exits.
for log_file in "$state/ocipfsd.log" "$state/proxy/ocipfsd.log"; do
  if grep -qE "ERROR: (Address|Leak)Sanitizer|runtime error:|WARNING: ThreadSanitizer" \
    "$log_file" 2>/dev/null; then
    fail "ocipfsd reported a sanitizer error: $(grep -m1 -A20 -E "Sanitizer|runtime error:" "$log_file")"
  fi
done
