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
fi
"$REPO_DIR/tests/ipfs-node/ipfs-node.sh" stop "$state/ipfs" || true
