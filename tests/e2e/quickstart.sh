#!/usr/bin/env bash
# The README's quick start: example/quickstart.sh serves the example layer and image, the
# `docker pull` and `docker run` lines it prints work, and SIGTERM (as Ctrl-C) stops everything
# it started.
set -euo pipefail
E2E_NAME=quickstart
# shellcheck source=tests/e2e/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
load_state
export DOCKER_HOST="unix://$E2E_STATE/docker/docker.sock"
work=$(mktemp -d)
pid=""
cleanup() {
  [[ -n $pid ]] && stop_pid "$pid" 20
  rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BUILD_DIR=$(dirname -- "${OCIPFSD:?}") OCIPFS_QUICKSTART_DIR="$work/state" PORT=$port \
  setsid bash "$REPO_DIR/example/quickstart.sh" >"$work/out" 2>&1 &
pid=$!
wait_until 300 grep -q "Ctrl-C stops" "$work/out" || {
  cat "$work/out" >&2
  fail "the quick start did not come up"
}
pull=$(grep -o 'docker pull .*' "$work/out" | head -1)
[[ $pull == "docker pull 127.0.0.1:$port/layer/$EXAMPLE_CID:$EXAMPLE_FILE" ]] ||
  fail "unexpected pull line: $pull"
log "running the printed line: $pull"
read -ra words <<<"$pull"
timeout 300 /usr/bin/docker "${words[@]:1}" >"$work/pull.log" 2>&1 || {
  cat "$work/pull.log" >&2
  fail "the printed docker pull failed"
}
copy=$(grep -o 'COPY --from=.*' "$work/out" | head -1)
[[ $copy == "COPY --from=127.0.0.1:$port/layer/$EXAMPLE_CID:$EXAMPLE_FILE / /" ]] ||
  fail "unexpected COPY line: $copy"
run=$(grep -o 'docker run --rm .*' "$work/out" | head -1)
[[ $run =~ ^docker\ run\ --rm\ 127\.0\.0\.1:$port/image/b[a-z2-7]+:hello$ ]] ||
  fail "unexpected run line: $run"
grep -q "^    FROM ${run#docker run --rm }\$" "$work/out" || fail "no FROM line for the image"
log "running the printed line, with --network=none: $run"
read -ra words <<<"$run"
timeout 300 /usr/bin/docker "${words[@]:1:2}" --network=none "${words[@]:3}" >"$work/run.log" 2>&1 || {
  cat "$work/run.log" >&2
  fail "the printed docker run failed"
}
grep -q "^Hello from an image composed on IPFS: no Dockerfile" "$work/run.log" ||
  fail "the example image printed: $(cat "$work/run.log")"
grep -q "^working directory /app, user 1000:1000$" "$work/run.log" ||
  fail "the example image's config was not applied: $(cat "$work/run.log")"
timeout 120 /usr/bin/docker rmi -f "${words[3]}" >/dev/null 2>&1 || true

# The README: `source build/quickstart/ipfs/env` is enough for ocipfs to find the node. In a
# shell that has no IPFS_API of its own, publish must see the one the env file sets.
# shellcheck disable=SC2016 # the inner shell expands its arguments
env -u IPFS_API -u IPFS_GATEWAY bash -c 'source "$1/state/ipfs/env" && exec "$2" publish "$3" \
  --tarball="$1/hello.tar.gz" --timeout=60s' _ "$work" "${OCIPFS:?}" "$REPO_DIR/example/hello" \
  >"$work/publish.log" 2>&1 || {
  cat "$work/publish.log" >&2
  fail "ocipfs publish did not see IPFS_API after sourcing the quick start's env file"
}
grep -q "^COPY --from=127.0.0.1:5000/layer/b[a-z2-7]*:hello.tar.gz / /\$" "$work/publish.log" ||
  fail "publish after sourcing the env file printed: $(cat "$work/publish.log")"

ipfs_pid=$(sed -n 's/^\(export \)\{0,1\}IPFS_PID=//p' "$work/state/ipfs/env")
kill -TERM "$pid"
wait_until 30 bash -c "! kill -0 $pid 2>/dev/null" || fail "the quick start did not stop on SIGTERM"
pid=""
# Gone, or a zombie that init has not reaped yet.
gone() { ! kill -0 "$1" 2>/dev/null || [[ $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) == Z ]]; }
wait_until 15 gone "$ipfs_pid" || fail "the IPFS node outlived the quick start"
! pgrep -f -- "--listen=127.0.0.1:$port" >/dev/null || fail "ocipfsd outlived the quick start"
log "passed"
