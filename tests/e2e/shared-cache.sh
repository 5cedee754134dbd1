#!/usr/bin/env bash
# ocipfsd behind a shared cache: Debian's nginx with the proxy_cache configuration that the
# README's Deploy section quotes (read from there, so the two cannot part). skopeo pulls a layer
# image through nginx twice; ocipfsd's /metrics shows that the second pull reached it for no
# manifest, config or 302. nginx keeps the variants of a manifest by tag apart (Vary: Accept),
# and never caches an error: two asks for a CID no gateway has both reach ocipfsd.
set -euo pipefail
E2E_NAME=shared-cache
# shellcheck source=tests/e2e/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
load_state
command -v nginx >/dev/null || fail "no nginx (tests/install-deps.sh installs nginx-light)"
make_work
dir=$E2E_STATE/shared-cache.$$
mkdir -p "$dir"
nginx_pid=
cleanup() {
  [[ -z $nginx_pid ]] || stop_pid "$nginx_pid"
  [[ -z ${OCIPFSD_PID:-} ]] || stop_pid "$OCIPFSD_PID"
  rm -rf "$dir"
  remove_work
}
trap cleanup EXIT
skopeo() { timeout 300 /usr/bin/skopeo --policy "$work/policy.json" "$@"; }

# An ocipfsd of its own: no other test's requests in its counters.
start_ocipfsd "$dir" --gateway="$IPFS_GATEWAY" --gateway-timeout=3s --threads=2
upstream=$OCIPFSD_ADDR

# The README's cache configuration: the nginx block of its Deploy section.
config=$(awk '/^## Deploy$/ { deploy = 1; next } /^## / { deploy = 0 }
  deploy && /^```nginx$/ { block = 1; next } block && /^```$/ { exit } block { print }' \
  "$REPO_DIR/README.md")
[[ $config == *proxy_cache* ]] || fail "the README's Deploy section has no nginx block with proxy_cache"

# start_nginx: nginx with that configuration on a free port (nginx cannot listen on port 0: a
# port the OS chose a moment ago, again on a clash); sets nginx_pid and port.
start_nginx() {
  local attempt
  for attempt in 1 2 3 4 5; do
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    local server=${config//listen 80;/listen 127.0.0.1:$port;}
    server=${server//http:\/\/127.0.0.1:8080/http://$upstream}
    server=${server//\/var\/cache\/nginx\/ocipfs/$dir/cache}
    cat >"$dir/nginx.conf" <<CONF
$( ((EUID == 0)) && echo "user root;")
pid $dir/nginx.pid;
error_log $dir/error.log;
events { worker_connections 256; }
http {
  client_body_temp_path $dir/client_body;
  proxy_temp_path $dir/proxy_temp;
  fastcgi_temp_path $dir/fastcgi_temp;
  uwsgi_temp_path $dir/uwsgi_temp;
  scgi_temp_path $dir/scgi_temp;
  log_format cache '\$request \$status \$upstream_cache_status';
  access_log $dir/access.log cache;
$server
}
CONF
    : >"$dir/error.log"
    nginx -e "$dir/error.log" -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;' &
    nginx_pid=$!
    if wait_until 10 curl -fsS "http://127.0.0.1:$port/v2/"; then return; fi
    stop_pid "$nginx_pid"
    nginx_pid=
    grep -q "Address already in use" "$dir/error.log" || fail "nginx did not start: $(tail -5 "$dir/error.log")"
    log "port $port was taken meanwhile (attempt $attempt): another"
  done
  fail "nginx found no free port in 5 attempts"
}
start_nginx
log "nginx on 127.0.0.1:$port caches ocipfsd on $upstream"

# requests ROUTE [STATUS]: ocipfsd's ocipfs_requests_total for ROUTE, of STATUS or of all statuses.
requests() {
  curl -fsS "http://$upstream/metrics" |
    awk -v route="$1" -v status="${2:-}" '$1 ~ "^ocipfs_requests_total\\{route=\"" route "\"" &&
      (status == "" || index($1, "status=\"" status "\"")) { sum += $2 } END { print sum + 0 }'
}
# counts: manifests, config blobs (200), layer redirects (302), and anything else on the blob route.
counts() { echo "$(requests manifest) $(requests blob 200) $(requests blob 302) $(requests blob)"; }

ref="docker://127.0.0.1:$port/layer/$EXAMPLE_CID:$EXAMPLE_FILE"
pull() {
  log "skopeo copy $ref oci:$work/$1 (through nginx)"
  skopeo copy --src-tls-verify=false "$ref" "oci:$work/$1:pulled" >"$work/$1.log" 2>&1 || {
    cat "$work/$1.log" >&2
    fail "skopeo copy through nginx failed ($1)"
  }
  local manifest layer
  manifest=$(jq -r '.manifests[0].digest' "$work/$1/index.json")
  layer=$(jq -r '.layers[0].digest' "$work/$1/blobs/sha256/${manifest#sha256:}")
  mkdir -p "$work/$1.rootfs"
  tar -xzf "$work/$1/blobs/sha256/${layer#sha256:}" -C "$work/$1.rootfs"
  expect_example_files "$work/$1.rootfs"
}

before=$(counts)
pull first
read -r manifests configs redirects blobs <<<"$(counts)"
read -r manifests0 configs0 redirects0 blobs0 <<<"$before"
log "first pull reached ocipfsd: $((manifests - manifests0)) manifests, $((configs - configs0)) configs, $((redirects - redirects0)) redirects, $((blobs - blobs0)) blob requests"
((manifests > manifests0 && configs > configs0 && redirects > redirects0)) ||
  fail "the first pull did not reach ocipfsd for a manifest, a config and a 302 ($before -> $(counts))"

pull second
read -r manifests2 configs2 redirects2 blobs2 <<<"$(counts)"
log "second pull reached ocipfsd: $((manifests2 - manifests)) manifests, $((configs2 - configs)) configs, $((redirects2 - redirects)) redirects, $((blobs2 - blobs)) blob requests"
((manifests2 == manifests && configs2 == configs && redirects2 == redirects && blobs2 == blobs)) ||
  fail "the second pull reached ocipfsd: $manifests $configs $redirects $blobs -> $manifests2 $configs2 $redirects2 $blobs2 (nginx: $(tail -8 "$dir/access.log" | tr '\n' ';'))"
hits=$(grep -c ' HIT$' "$dir/access.log" || true)
log "nginx answered $hits requests from its cache"

# A manifest by tag varies with Accept: a client that accepts only a Docker manifest must get one
# from nginx, never the index cached for skopeo, nor the other way round.
target="/v2/layer/$EXAMPLE_CID/manifests/$EXAMPLE_FILE"
docker_type=application/vnd.docker.distribution.manifest.v2+json
index_type=application/vnd.oci.image.index.v1+json
content_type() { curl -fsS -o /dev/null -w '%{content_type}' -H "Accept: $2" "http://$1$target"; }
for accept in "$docker_type" "$index_type" "$docker_type" "$index_type"; do
  direct=$(content_type "$upstream" "$accept")
  cached=$(content_type "127.0.0.1:$port" "$accept")
  [[ $cached == "$direct" ]] || fail "for Accept: $accept, nginx answered $cached, ocipfsd $direct"
done
[[ $(content_type "127.0.0.1:$port" "$docker_type") != "$(content_type "127.0.0.1:$port" "$index_type")" ]] ||
  fail "ocipfsd answers a Docker manifest and an index alike: this proves nothing"
log "by tag, nginx answers each Accept with its own variant"

# Errors are never cached: both asks for a CID no gateway has reach ocipfsd.
missing_before=$(requests manifest)
statuses=
for ask in 1 2; do
  status=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 30 \
    "http://127.0.0.1:$port/v2/layer/$UNKNOWN_CID/manifests/latest")
  [[ $status == 504 || $status == 404 ]] || fail "ask $ask for an unknown CID: $status, not 504 or 404"
  statuses+=" $status"
done
missing_after=$(requests manifest)
((missing_after - missing_before == 2)) ||
  fail "of two asks for an unknown CID, $((missing_after - missing_before)) reached ocipfsd"
log "passed: the second pull reached ocipfsd 0 times; both errors ($statuses) reached it"
