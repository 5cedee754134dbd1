#!/usr/bin/env bash
# e2e fixture: a private dockerd (Debian's docker.io) with its own directories, no bridge and no
# iptables changes.
#   docker-daemon.sh start|stop STATE_DIR
set -euo pipefail
E2E_NAME=dockerd
# shellcheck source=tests/e2e/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
action=${1:?usage: docker-daemon.sh start|stop STATE_DIR}
dir=${2:?usage: docker-daemon.sh start|stop STATE_DIR}/docker
case $action in
  start)
    [[ -f $dir/dockerd.pid ]] && stop_pid "$(cat "$dir/dockerd.pid")" 20
    rm -rf "$dir"
    start_dockerd "$dir"
    log "dockerd ready at $DOCKER_HOST"
    ;;
  stop)
    [[ -f $dir/dockerd.pid ]] && stop_pid "$(cat "$dir/dockerd.pid")" 60
    # dockerd may leave mounts behind (a network namespace, layers): unmount, deepest first.
    unmount_below "$dir"
    rm -rf "$dir/data" "$dir/exec"
    ;;
  *) fail "unknown action $action" ;;
esac
