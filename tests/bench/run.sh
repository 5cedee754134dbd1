#!/usr/bin/env bash
# The benchmark: not part of the test run. One run measures, side by side on this machine:
#   - warm: the warm routes, for a layer/<cid> and for an image/<cid> of 100 layer manifests:
#     manifest GET by tag (docker's Accept list: the index), manifest GET by digest, manifest HEAD
#     by tag (with ocipfs_bench load: wrk 4.1 waits for a body after a HEAD answer that has a
#     Content-Length), config GET, layer GET (a 302), tags/list, and 304 revalidation (GET by
#     digest with If-None-Match: "<digest>"); each against ocipfsd, nginx (master_process off, one
#     worker) serving the same bytes as static files and `return 302` for the layer, a do-nothing
#     Beast server (ocipfs_bench null-server) answering a 200 of the same size, and the floor
#     (ocipfs_bench floor-server: one thread, epoll, writing ocipfsd's exact answer, captured
#     with raw_answer.py, for every request head: what loopback TCP costs). BENCH_ROUNDS
#     interleaved rounds: in each, every route is measured on the four servers back to back, so
#     that drift hits them all; the report has the best req/s and p99 of the rounds and the range
#     of the CPU time per request, and each route as a multiple of the floor (target 1.1x). The
#     CNCF reference registry (docker-registry, distribution 2.8) serves the same manifest from its
#     filesystem store, in the same rounds;
#   - many: manifest GET by digest cycling over BENCH_MANY_IMAGES (20,000) distinct cached layer
#     images in an ocipfsd with the default --cache-size, and over BENCH_MANY_LARGE_IMAGES
#     (100,000) in another, with the default --cache-size if it keeps them all, else 1GiB (the
#     report says which); beside the same route on one image of each, and beside nginx serving the
#     same manifests as files in the same order; same rounds. Target: within 1.25x of the
#     one-image row by CPU per request. With the resident memory and the cache's gauges per cached
#     image (target 1.5 KB);
#   - zipf: BENCH_ZIPF_PULLS (50,000) pulls of BENCH_ZIPF_IMAGES (20,000) images with Zipf(1.0)
#     popularity (a fixed seed), each pull what docker sends: HEAD by tag, GET the index, GET the
#     linux/amd64 manifest by digest, GET the config, GET the layer (302); beside nginx serving the
#     same files and 302s in the same order;
#   - cold: 1,000 concurrent requests for one uncached CID, gateway latency 100 ms;
#   - cold-image: 100 concurrent requests for one uncached 100-layer image/<cid>, gateway
#     latency 100 ms per fetch: the gateway fetches (one per distinct CID) and the time to the
#     first manifest byte against 2 round trips + one round trip per wave of layer resolutions;
#   - hedge: distinct uncached CIDs one after another from two gateways, the preferred one
#     answering in 2 s and the other in 50 ms: the cold p50/p99 against --hedge-after + 50 ms;
#   - memory, memory-image: resident set idle and with 100,000 images cached; and with 1,000
#     100-layer images cached (sharing their 99 base layers), with the cache's own gauges;
#   - startup: exec to the first accepted connection;
#   - proxy: --blobs=proxy, a layer of BENCH_PROXY_MIB (1024) MiB streamed through ocipfsd from an
#     nginx serving it as a file (the gateway, on the client CPU), beside a second nginx proxying
#     the same bytes from the same gateway without verifying them (proxy_pass, no disk):
#     throughput (target: ocipfsd >= 80% of nginx) and each one's CPU seconds per GiB, beside
#     what sha256 alone costs on this machine (openssl dgst, the floor); then 100 concurrent
#     downloads of 100 different 16 MiB layers: ocipfsd's peak resident set over its idle one,
#     per transfer (target: <= 1 MiB, a window of 1 MiB and socket buffers, whatever the size).
# Each server gets one core (CPU 0) and one thread; wrk, ocipfs_bench load (whose own CPU per
# request is reported), the fake gateway and the cold/fill clients run on CPU 1. Loopback only,
# ports chosen by the OS. It reports ratios, and each server's CPU time per request from
# /proc/PID/stat: absolute rates are noise on a shared machine.
#
#   bash tests/bench/run.sh
#     BUILD_DIR      build directory with ocipfsd and tests/bench/ocipfs_bench (default ./build)
#     BENCH_PARTS    the parts to run, comma-separated (default all: warm,many,zipf,cold,
#                    cold-image,hedge,memory,memory-image,startup); e.g. BENCH_PARTS=warm,many,zipf
#     BENCH_SECONDS  seconds per measurement (default 5; the whole run is then ~30 minutes)
#     BENCH_ROUNDS   interleaved rounds of the warm, many-images and Zipf rows (default 3)
#     BENCH_MANY_IMAGES        distinct images of the many-images row (default 20000)
#     BENCH_MANY_LARGE_IMAGES  distinct images of the large many-images row (default 100000)
#     BENCH_ZIPF_IMAGES, BENCH_ZIPF_PULLS  the Zipf row's images and pulls (default 20000, 50000)
#     BENCH_IMAGES   images cached for the memory measurement (default 100000)
#     BENCH_IMAGE_DOCUMENTS  100-layer image/<cid>s cached for the image memory measurement
#                    (default 1000)
#     BENCH_PROXY_MIB  the proxied layer's size in MiB (default 1024)
#     BENCH_KEEP=1   keep the work directory (logs, load outputs, configs)
# Exit status: 0 when everything ran, whatever the targets say; 1 when a part could not run.
set -euo pipefail

bench_dir="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
repo="$(cd -- "$bench_dir/../.." && pwd -P)"
build=${BUILD_DIR:-$repo/build}
seconds=${BENCH_SECONDS:-5}
connections=32
rounds=${BENCH_ROUNDS:-3}
# The many-images rows: this many distinct layer/<cid> images, cached with the default
# --cache-size, and many_large_count with a --cache-size that holds them all.
many_count=${BENCH_MANY_IMAGES:-20000}
many_large_count=${BENCH_MANY_LARGE_IMAGES:-100000}
# The Zipf row: zipf_pulls pulls of zipf_count images.
zipf_count=${BENCH_ZIPF_IMAGES:-20000}
zipf_pulls=${BENCH_ZIPF_PULLS:-50000}
# The parts to run, in this order.
all_parts=(warm many zipf cold cold-image hedge memory memory-image startup proxy)
parts=${BENCH_PARTS:-$(
  IFS=,
  echo "${all_parts[*]}"
)}
ocipfsd=$build/ocipfsd
tool=$build/tests/bench/ocipfs_bench
server_cpu=0
client_cpu=1
cache_count=${BENCH_IMAGES:-100000}
cold_concurrency=1000
# The image/<cid> parts: images of image_layers layer manifests; the cold image is asked for by
# image_concurrency requests at once; image_cache_count images are cached for the memory part.
image_layers=100
image_concurrency=100
image_cache_count=${BENCH_IMAGE_DOCUMENTS:-1000}
image_latency_ms=100
# How many layer manifests ocipfsd resolves at once (include/ocipfs/cache/resolver.hpp).
layers_at_once=$(sed -n 's/.*layer_resolutions_at_once = \([0-9][0-9]*\);.*/\1/p' \
  "$repo/include/ocipfs/cache/resolver.hpp" 2>/dev/null | head -1 || true)
layers_at_once=${layers_at_once:-32}
image_waves=$(((image_layers + layers_at_once - 1) / layers_at_once))
image_bound_ms=$(((2 + image_waves) * image_latency_ms))
# The hedge part: hedge_requests distinct CIDs, hedge_concurrency at a time; the preferred gateway
# answers in hedge_slow_ms, the second in hedge_fast_ms; ocipfsd hedges after hedge_after_ms.
hedge_requests=100
hedge_concurrency=2
hedge_slow_ms=2000
hedge_fast_ms=50
hedge_after_ms=${BENCH_HEDGE_AFTER_MS:-200}
hedge_bound_ms=$((hedge_after_ms + hedge_fast_ms + 100))
# The proxy part: one layer of proxy_mib MiB; proxy_concurrent layers of proxy_small_mib MiB at once.
proxy_mib=${BENCH_PROXY_MIB:-1024}
proxy_concurrent=100
proxy_small_mib=16

oci_index=application/vnd.oci.image.index.v1+json
oci_manifest=application/vnd.oci.image.manifest.v1+json
# What docker and BuildKit send when they resolve a tag.
accept_all="$oci_index, $oci_manifest, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json"

log() { printf 'bench: %s\n' "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

# --- set-up ---------------------------------------------------------------------------------

[[ $seconds =~ ^[1-9][0-9]*$ ]] || die "BENCH_SECONDS must be a whole number of seconds"
[[ $cache_count =~ ^[1-9][0-9]*$ ]] || die "BENCH_IMAGES must be a positive whole number"
[[ $rounds =~ ^[1-9][0-9]*$ ]] || die "BENCH_ROUNDS must be a positive whole number"
[[ $many_count =~ ^[1-9][0-9]*$ ]] || die "BENCH_MANY_IMAGES must be a positive whole number"
[[ $many_large_count =~ ^[1-9][0-9]*$ ]] || die "BENCH_MANY_LARGE_IMAGES must be a positive whole number"
((many_count <= many_large_count)) || die "BENCH_MANY_IMAGES must not exceed BENCH_MANY_LARGE_IMAGES"
[[ $zipf_count =~ ^[1-9][0-9]*$ ]] || die "BENCH_ZIPF_IMAGES must be a positive whole number"
[[ $zipf_pulls =~ ^[1-9][0-9]*$ ]] || die "BENCH_ZIPF_PULLS must be a positive whole number"
# wanted PART: PART is in BENCH_PARTS.
wanted() { [[ ,$parts, == *,$1,* ]]; }
for name in ${parts//,/ }; do
  [[ " ${all_parts[*]} " == *" $name "* ]] || die "BENCH_PARTS: no part $name (parts: ${all_parts[*]})"
done
[[ $image_cache_count =~ ^[1-9][0-9]*$ ]] || die "BENCH_IMAGE_DOCUMENTS must be a positive whole number"
[[ $proxy_mib =~ ^[1-9][0-9]*$ ]] || die "BENCH_PROXY_MIB must be a positive whole number"
bash "$repo/tests/install-deps.sh" only wrk docker-registry curl jq python3 iproute2 procps \
  util-linux
command -v nginx >/dev/null || bash "$repo/tests/install-deps.sh" only nginx-light
for binary in "$ocipfsd" "$tool"; do
  [[ -x $binary ]] || die "$binary is missing: build first (cmake --build ${BUILD_DIR:-build})"
done
for command in wrk nginx docker-registry curl jq python3 ss taskset; do
  command -v "$command" >/dev/null || die "$command is not installed"
done
taskset -c "$server_cpu,$client_cpu" true 2>/dev/null ||
  die "needs CPUs $server_cpu and $client_cpu (one for the servers, one for the clients)"
# 1,000 concurrent connections need more than the usual 1,024 descriptors on both ends.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

work=$(mktemp -d "${TMPDIR:-/tmp}/ocipfs-bench.XXXXXX")
# nginx's worker drops root privileges: it must be able to read the files it serves.
chmod 755 "$work"
results=$work/results
started=$work/started
: >"$results"
: >"$started"

# --- processes ------------------------------------------------------------------------------
# Every process this script starts is recorded with its start time, so that clean-up never
# signals a process that merely reused one of their ids.

start_time() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $20}'; }
proc_state() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $1}'; }
running() {
  local state
  state=$(proc_state "$1")
  [[ -n $state && $state != Z ]]
}

# spawn VAR LOG COMMAND...: starts COMMAND in the background; VAR gets its process id.
spawn() {
  local -n spawned_pid=$1
  local output=$2
  shift 2
  "$@" >"$output" 2>&1 </dev/null &
  spawned_pid=$!
  owned+=("$spawned_pid")
  printf '%s %s\n' "$spawned_pid" "$(start_time "$spawned_pid")" >>"$started"
}

# stop_pid PID [START_TIME]: SIGTERM, up to 5 s, then SIGKILL.
stop_pid() {
  local pid=$1 expected=${2:-} deadline
  running "$pid" || {
    wait "$pid" 2>/dev/null || true
    return 0
  }
  [[ -z $expected || $(start_time "$pid") == "$expected" ]] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + 5))
  while running "$pid" && ((SECONDS < deadline)); do sleep 0.05; done
  if running "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
  wait "$pid" 2>/dev/null || true
}

stop_owned() {
  local i
  for ((i = ${#owned[@]} - 1; i >= 0; i--)); do stop_pid "${owned[i]}"; done
  owned=()
}

# descendants PID: the ids of PID's children, their children, and so on.
descendants() {
  local child
  # shellcheck disable=SC2013 # the file holds ids separated by spaces
  for child in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
    echo "$child"
    descendants "$child"
  done
}

cleanup() {
  local pid time
  # A part still running (interrupted): its tools (wrk, ocipfs_bench) and the part itself.
  if [[ -n ${part_pid:-} ]] && running "$part_pid"; then
    # shellcheck disable=SC2046 # ids are words
    kill -TERM $(descendants "$part_pid") "$part_pid" 2>/dev/null || true
  fi
  while read -r pid time; do stop_pid "$pid" "$time"; done <"$started"
  if [[ ${BENCH_KEEP:-} == 1 ]]; then log "kept $work"; else rm -rf "$work"; fi
}
owned=()
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# part NAME FUNCTION: runs FUNCTION in a subshell with errexit, stopping what it started when it
# ends. A part that fails is reported and the run goes on with the next one. The subshell runs in
# the background so that a signal to this script is handled at once, not after the part.
part_pid=
part() {
  local name=$1 status=0
  shift
  log "--- $name"
  (
    set -e
    owned=()
    part_pid=
    trap stop_owned EXIT
    "$@"
  ) &
  part_pid=$!
  wait "$part_pid" || status=$?
  part_pid=
  if ((status != 0)); then
    log "$name FAILED (exit $status)"
    echo "$name" >>"$work/failed"
  fi
  return 0
}

record() { printf '%s=%s\n' "$1" "$2" >>"$results"; }
result() { sed -n "s/^$1=//p" "$results" | tail -1; }

# wait_for SECONDS PID WHAT COMMAND...: polls COMMAND every 0.05 s until it succeeds; fails if
# PID exits or SECONDS pass.
wait_for() {
  local limit=$1 pid=$2 what=$3 deadline
  shift 3
  deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    running "$pid" || {
      log "$what exited"
      return 1
    }
    ((SECONDS < deadline)) || {
      log "timed out after ${limit}s waiting for $what"
      return 1
    }
    sleep 0.05
  done
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# http_code URL CURL_ARGS...: prints the status code of a request (10 s at most).
http_code() {
  local url=$1
  shift
  curl -sS --max-time 10 -o /dev/null -w '%{http_code}' "$@" "$url"
}
# answers URL CODE [CURL_ARGS...]: the request gets CODE.
answers() {
  local url=$1 code=$2
  shift 2
  [[ $(http_code "$url" "$@" 2>/dev/null) == "$code" ]]
}
# header NAME FILE: the value of a response header saved with curl -D.
header() { grep -i "^$1:" "$2" | head -1 | sed 's/^[^:]*:[[:space:]]*//' | tr -d '\r'; }
sha256_of() { sha256sum "$1" | cut -c1-64; }
vmrss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# --- servers --------------------------------------------------------------------------------

# gateway_ready PORT_FILE: the gateway wrote its port and answers.
gateway_ready() {
  local port
  port=$(cat "$1") && [[ $port =~ ^[0-9]+$ ]] && curl -sf --max-time 2 "http://127.0.0.1:$port/_stats"
}

# start_gateway PORT_VAR NAME COUNT LATENCY_MS [FLAGS...]: the fake IPFS gateway, on the client
# CPU (FLAGS: --images=N --image-layers=L to serve image documents too).
start_gateway() {
  local port_var=$1 name=$2 count=$3 latency=$4 pid
  shift 4
  spawn pid "$work/$name.log" taskset -c "$client_cpu" "$tool" gateway --count="$count" \
    --latency-ms="$latency" --port-file="$work/$name.port" "$@"
  wait_for 60 "$pid" "gateway $name" gateway_ready "$work/$name.port" ||
    die "gateway $name did not start: $(tail -3 "$work/$name.log")"
  printf -v "$port_var" '%s' "$(<"$work/$name.port")"
}

gateway_fetches() { curl -sS --max-time 10 "http://127.0.0.1:$1/_stats" | awk '/^fetches/ {print $2}'; }
# gateway_stat PORT NAME: one line of the gateway's /_stats (fetches, paths, most_per_path).
gateway_stat() { curl -sS --max-time 10 "http://127.0.0.1:$1/_stats" | awk -v n="$2" '$1 == n {print $2}'; }
# cache_gauge PORT METRIC TIER: a cache gauge of ocipfsd's /metrics (tier images, the only one).
cache_gauge() {
  curl -sS --max-time 10 "http://127.0.0.1:$1/metrics" |
    awk -v m="$2{tier=\"$3\"}" '$1 == m { printf "%.0f\n", $2 }'
}

# ocipfsd_port PID LOG: its port, from its start-up line or else from the socket it listens on.
ocipfsd_port() {
  local port
  port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$2" | head -1)
  [[ -n $port ]] || port=$(ss -Hltnp 2>/dev/null |
    awk -v owner="pid=$1," 'index($0, owner) { n = split($4, a, ":"); print a[n]; exit }')
  [[ -n $port ]] && printf '%s\n' "$port"
}

# start_ocipfsd PID_VAR PORT_VAR NAME GATEWAY_PORT [CACHE_SIZE]: ocipfsd on one core, with
# --cache-size=CACHE_SIZE (default 1GiB; "default": no --cache-size, ocipfsd's own 128MiB).
start_ocipfsd() {
  local -n ocipfsd_pid=$1 ocipfsd_listen_port=$2
  local name=$3 gateway=$4 cache_size=${5:-1GiB} cache_flag=()
  [[ $cache_size == default ]] || cache_flag=(--cache-size="$cache_size")
  spawn ocipfsd_pid "$work/$name.log" taskset -c "$server_cpu" "$ocipfsd" --threads=1 \
    --log-level=warn --listen=127.0.0.1:0 --gateway="http://127.0.0.1:$gateway" "${cache_flag[@]}"
  wait_for 10 "$ocipfsd_pid" "$name" ocipfsd_port "$ocipfsd_pid" "$work/$name.log" ||
    die "$name did not start: $(tail -3 "$work/$name.log")"
  ocipfsd_listen_port=$(ocipfsd_port "$ocipfsd_pid" "$work/$name.log")
  wait_for 10 "$ocipfsd_pid" "$name" answers "http://127.0.0.1:$ocipfsd_listen_port/v2/" 200 ||
    die "$name does not answer /v2/: $(tail -3 "$work/$name.log")"
}

# --- proxy: layers streamed through ocipfsd -----------------------------------------------------

# raw_cid FILE: the CIDv1 (raw, sha2-256, base32) of FILE's bytes.
raw_cid() {
  python3 - "$1" <<'PY'
import base64, hashlib, sys
digest = hashlib.sha256(open(sys.argv[1], "rb").read()).digest()
print("b" + base64.b32encode(bytes([1, 0x55, 0x12, 0x20]) + digest).decode().lower().rstrip("="))
PY
}

# The directory CID the proxy part's layer manifests name their layers under (any valid CID: a
# plain gateway serves its files by path).
proxy_dir_cid=QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn

# proxy_layer ROOT NAME MIB: a layer of MIB MiB of random bytes at ROOT/ipfs/<dir>/NAME and its
# layer manifest at ROOT/ipfs/<its CID>; prints "<manifest CID> <layer digest>".
proxy_layer() {
  local root=$1 name=$2 mib=$3 file digest manifest cid
  file=$root/ipfs/$proxy_dir_cid/$name
  head -c $((mib << 20)) /dev/urandom >"$file"
  digest=sha256:$(sha256_of "$file")
  manifest=$root/manifest.$name.json
  printf '{"mediaType":"application/vnd.ocipfs.layer.manifest.v1+json","layer":{"mediaType":"%s","digest":"%s","size":%s,"annotations":{"io.ocipfs.layer.ipfs.cid":"%s/%s","io.ocipfs.layer.fs.digest":"sha256:%064d"}}}' \
    application/vnd.oci.image.layer.v1.tar+gzip "$digest" "$((mib << 20))" "$proxy_dir_cid" \
    "$name" 0 >"$manifest"
  cid=$(raw_cid "$manifest")
  cp "$manifest" "$root/ipfs/$cid"
  echo "$cid $digest"
}

# proxy_nginx NAME CPU DIR SERVER_BLOCK: an nginx of one process on CPU; sets proxy_port.
proxy_nginx() {
  local name=$1 cpu=$2 dir=$3 block=$4 pid
  proxy_port=$(free_port)
  mkdir -p "$dir/tmp"
  cat >"$dir/$name.conf" <<CONF
master_process off;
worker_processes 1;
daemon off;
pid $dir/$name.pid;
error_log $dir/$name-error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  server {
    listen 127.0.0.1:$proxy_port;
    $block
  }
}
CONF
  spawn pid "$work/$name.log" taskset -c "$cpu" nginx -p "$dir/" -e "$dir/$name-error.log" \
    -c "$dir/$name.conf"
  wait_for 10 "$pid" "$name" answers "http://127.0.0.1:$proxy_port/no-such-file" 404 ||
    die "$name did not start: $(tail -3 "$dir/$name-error.log" 2>/dev/null)"
  server_pid[$name]=$pid
}

# download KEY PID URL: one GET of URL to /dev/null from the client CPU; records KEY.mibs (MiB/s)
# and KEY.cpu (the CPU seconds PID spent, per GiB); fails on a short or failed answer.
download() {
  local key=$1 pid=$2 url=$3 before after out
  before=$(cpu_ticks "$pid")
  out=$(taskset -c "$client_cpu" curl -sS --max-time 600 -o /dev/null -w '%{http_code} %{size_download} %{time_total}' "$url")
  after=$(cpu_ticks "$pid")
  read -r code bytes seconds <<<"$out"
  [[ $code == 200 && $bytes == $((proxy_mib << 20)) ]] || die "$key: got $out"
  record "$key.mibs" "$(awk -v b="$bytes" -v s="$seconds" 'BEGIN { printf "%.0f", b / 1048576 / s }')"
  record "$key.cpu" "$(awk -v t="$((after - before))" -v hz="$clock_ticks" -v m="$proxy_mib" \
    'BEGIN { printf "%.2f", t / hz / (m / 1024) }')"
}

# best KEY: the highest of KEY's recorded values; lowest KEY: the lowest.
best() { sed -n "s/^$1=//p" "$results" | sort -g | tail -1; }
lowest() { sed -n "s/^$1=//p" "$results" | sort -g | head -1; }

proxy() {
  local dir=$work/proxy gateway_port pid port cid digest line round
  mkdir -p "$dir/www/ipfs/$proxy_dir_cid"
  read -r cid digest < <(proxy_layer "$dir/www" layer.tar.gz "$proxy_mib")
  proxy_nginx nginx-gateway "$client_cpu" "$dir" "root $dir/www; location / { }"
  gateway_port=$proxy_port
  proxy_nginx nginx-proxy "$server_cpu" "$dir" "location / { proxy_pass http://127.0.0.1:$gateway_port; proxy_http_version 1.1; proxy_buffers 4 64k; proxy_max_temp_file_size 0; }"
  spawn pid "$work/ocipfsd-proxy.log" taskset -c "$server_cpu" "$ocipfsd" --threads=1 \
    --log-level=warn --listen=127.0.0.1:0 --gateway="http://127.0.0.1:$gateway_port" --blobs=proxy \
    --max-blob-transfers=$((proxy_concurrent + 28))
  wait_for 10 "$pid" ocipfsd-proxy ocipfsd_port "$pid" "$work/ocipfsd-proxy.log" ||
    die "ocipfsd-proxy did not start: $(tail -3 "$work/ocipfsd-proxy.log")"
  port=$(ocipfsd_port "$pid" "$work/ocipfsd-proxy.log")
  local blob=/v2/layer/$cid/blobs/$digest file=/ipfs/$proxy_dir_cid/layer.tar.gz
  for ((round = 0; round < rounds; round++)); do
    download proxy.ocipfsd "$pid" "http://127.0.0.1:$port$blob"
    download proxy.nginx "${server_pid[nginx-proxy]}" "http://127.0.0.1:$proxy_port$file"
  done
  # The floor: sha256 alone over the same bytes, on the server CPU.
  local TIMEFORMAT='%U %S' times
  times=$({ time taskset -c "$server_cpu" openssl dgst -sha256 "$dir/www$file" >/dev/null; } 2>&1)
  record proxy.sha256_cpu "$(awk -v u="${times% *}" -v s="${times#* }" -v m="$proxy_mib" \
    'BEGIN { printf "%.2f", (u + s) / (m / 1024) }')"
  proxy_concurrently "$dir" "$pid" "$port"
}

# proxy_concurrently DIR PID PORT: proxy_concurrent downloads of as many different layers at
# once; records ocipfsd's idle and peak resident set.
proxy_concurrently() {
  local dir=$1 pid=$2 port=$3 i idle peak=0 rss failed=0 complete
  local list=$dir/urls
  for ((i = 0; i < proxy_concurrent; i++)); do
    read -r cid digest < <(proxy_layer "$dir/www" "small$i.tar.gz" "$proxy_small_mib")
    echo "http://127.0.0.1:$port/v2/layer/$cid/blobs/$digest"
  done >"$list"
  # Each layer's manifest resolved first, so that only the transfers differ.
  while read -r url; do curl -sS -I --max-time 10 -o /dev/null "$url"; done <"$list"
  idle=$(vmrss_kib "$pid")
  taskset -c "$client_cpu" xargs -P "$proxy_concurrent" -n 1 curl -sS --max-time 300 -o /dev/null \
    -w '%{http_code} %{size_download}\n' <"$list" >"$dir/concurrent.out" &
  local clients=$!
  while running "$clients"; do
    rss=$(vmrss_kib "$pid")
    ((rss > peak)) && peak=$rss
    sleep 0.02
  done
  wait "$clients" || failed=1
  complete=$(grep -c "^200 $((proxy_small_mib << 20))\$" "$dir/concurrent.out" || true)
  if ((failed != 0 || complete != proxy_concurrent)); then
    die "concurrent downloads: $(sort "$dir/concurrent.out" | uniq -c | head -5)"
  fi
  record proxy.idle_kib "$idle"
  record proxy.peak_kib "$peak"
  record proxy.per_transfer_kib "$(((peak - idle) / proxy_concurrent))"
}

# --- load -------------------------------------------------------------------------------

# field KEY LINE: the value of KEY=value in LINE.
field() {
  awk -v key="$1" '{ for (i = 1; i <= NF; i++) if (index($i, key "=") == 1) {
    print substr($i, length(key) + 2); exit } }' <<<"$2"
}

ms() { awk -v us="$1" 'BEGIN { printf "%.3f", us / 1000 }'; }

clock_ticks=$(getconf CLK_TCK)
# cpu_ticks PID: user + system CPU time of PID and its children (nginx's worker), in clock ticks.
cpu_ticks() {
  local pid total=0 ticks
  # shellcheck disable=SC2046 # the children's ids are words
  for pid in "$1" $(cat /proc/"$1"/task/*/children 2>/dev/null); do
    ticks=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{print $12 + $13}')
    total=$((total + ${ticks:-0}))
  done
  echo "$total"
}

# core_times: "busy total steal" clock ticks of the server core and the client core, from /proc/stat.
core_times() {
  awk -v s="cpu$server_cpu" -v c="cpu$client_cpu" '$1 == s || $1 == c {
    busy = $2 + $3 + $4 + $7 + $8; steal = $9; total = busy + $5 + $6 + steal
    printf "%s %s %s ", busy, total, steal } END { print "" }' /proc/stat
}

# measure KEY LABEL SERVER_PID URL METHOD ACCEPT [SECONDS]: loads URL from the client CPU, with
# wrk, or with ocipfs_bench load for HEAD (wrk 4.1 waits for a body after a HEAD answer that has a
# Content-Length) and when BENCH_REQUESTS names a file of requests ("METHOD PATH [docker|oci]"
# lines, sent in order; URL is then the server's root). Records KEY.rps, KEY.p50 and KEY.p99
# (ms), KEY.errors, and KEY.cpu: the server's CPU time per request in microseconds (steadier than
# wall-clock rates on a busy machine); with ocipfs_bench load, KEY.client_cpu: the client's own.
measure() {
  local key=$1 label=$2 server=$3 url=$4 method=$5 accept=$6 duration=${7:-$seconds}
  local out=$work/load-$key.txt requests rps p50 p99 errors before after own_cpu="" client=wrk
  local cores_before cores_after line
  before=$(cpu_ticks "$server")
  cores_before=$(core_times)
  if [[ $method == HEAD || -n ${BENCH_REQUESTS:-} ]]; then
    client=load
    local port=${url#http://127.0.0.1:} what=()
    port=${port%%/*}
    if [[ -n ${BENCH_REQUESTS:-} ]]; then
      what=(--requests-file="$BENCH_REQUESTS")
    else
      what=(--method="$method" --path="/${url#http://127.0.0.1:*/}" --accept="$accept"
        --if-none-match="${BENCH_IF_NONE_MATCH:-}")
    fi
    if ! timeout $((duration + 30)) taskset -c "$client_cpu" "$tool" load --port="$port" "${what[@]}" \
      --connections="$connections" --seconds="$duration" >"$out" 2>&1; then
      log "ocipfs_bench load failed for $label: $(tail -3 "$out")"
      return 1
    fi
    line=$(grep '^load-result ' "$out") || {
      log "no result from ocipfs_bench load for $label: $(tail -3 "$out")"
      return 1
    }
    own_cpu=$(field client_cpu_us "$line")
  else
    if ! BENCH_METHOD=$method BENCH_ACCEPT=$accept timeout $((duration + 30)) \
      taskset -c "$client_cpu" wrk -t1 -c"$connections" -d"${duration}s" --timeout 5s --latency \
      -s "$bench_dir/wrk.lua" "$url" >"$out" 2>&1; then
      log "wrk failed for $label: $(tail -3 "$out")"
      return 1
    fi
    line=$(grep '^wrk-result ' "$out") || {
      log "no result from wrk for $label: $(tail -3 "$out")"
      return 1
    }
  fi
  requests=$(field requests "$line")
  rps=$(awk -v r="$requests" -v d="$(field duration_us "$line")" 'BEGIN { printf "%.0f", r / (d / 1e6) }')
  p50=$(field p50_us "$line")
  p99=$(field p99_us "$line")
  errors=$(($(field connect "$line") + $(field read "$line") + $(field write "$line") +
    $(field status "$line") + $(field timeout "$line")))
  after=$(cpu_ticks "$server")
  cores_after=$(core_times)
  [[ $key == warmup* ]] && return 0
  ((requests > 0)) || {
    log "$label: no request completed against ${key%%.*}"
    return 1
  }
  local cpu cores
  cpu=$(awk -v t=$((after - before)) -v hz="$clock_ticks" -v n="$requests" \
    'BEGIN { printf "%.1f", t / hz * 1e6 / n }')
  # How busy the server was on its core, how busy the whole server core and the client core were,
  # and how much the hypervisor took: a server well under 100% was not what set the pace.
  cores=$(awk -v t=$((after - before)) -v a="$cores_before" -v b="$cores_after" 'BEGIN {
    split(a, x, " "); split(b, y, " "); total = y[2] - x[2]
    if (total <= 0) { print "n/a"; exit }
    printf "server %.0f%%, server core %.0f%% busy, client core %.0f%% busy, steal %.0f%%/%.0f%%",
      100 * t / total, 100 * (y[1] - x[1]) / total, 100 * (y[4] - x[4]) / (y[5] - x[5]),
      100 * (y[3] - x[3]) / total, 100 * (y[6] - x[6]) / (y[5] - x[5]) }')
  record "$key.busy" "$(awk -v t=$((after - before)) -v a="$cores_before" -v b="$cores_after" \
    'BEGIN { split(a, x, " "); split(b, y, " "); printf "%.0f", 100 * t / (y[2] - x[2]) }')"
  record "$key.rps" "$rps"
  record "$key.p50" "$(ms "$p50")"
  record "$key.p99" "$(ms "$p99")"
  record "$key.cpu" "$cpu"
  record "$key.errors" "$errors"
  [[ -z $own_cpu ]] || record "$key.client_cpu" "$own_cpu"
  printf '%-19s %-8s %-4s %6s req/s  p50 %7s ms  p99 %8s ms  CPU %6s us/req%s  (%s)%s\n' \
    "$label" "${key%%.*}" "$client" "$rps" "$(ms "$p50")" "$(ms "$p99")" "$cpu" \
    "${own_cpu:+ (client $own_cpu)}" "$cores" "$( ((errors == 0)) || echo "   ERRORS: $errors")"
}

# --- parts ----------------------------------------------------------------------------------

# Expect STATUS from a curl request, saving the body and headers under NAME.
fetch() {
  local name=$1 expected=$2 url=$3 code
  shift 3
  code=$(curl -sS --max-time 30 -o "$work/$name.body" -D "$work/$name.headers" -w '%{http_code}' \
    "$@" "$url")
  [[ $code == "$expected" ]] || die "$url answered $code, not $expected: $(head -c 300 "$work/$name.body")"
}

# Lay out the reference registry's filesystem store by hand, as a push would have left it:
# blobs under blobs/sha256/<2>/<hex>/data, and the repository's links to them. A GET by digest
# needs only the manifest's blob and its _manifests/revisions link (2.8 checks the referenced
# blobs on push, not on pull); the config's _layers link and the tag are there for completeness.
# The layer's bytes do not exist, so it gets no link.
populate_registry() {
  local cid=$1 root hex
  root=$work/registry/docker/registry/v2
  local repo=$root/repositories/layer/$cid
  blob() {
    hex=$(sha256_of "$1")
    mkdir -p "$root/blobs/sha256/${hex:0:2}/$hex"
    cp "$1" "$root/blobs/sha256/${hex:0:2}/$hex/data"
  }
  link() {
    mkdir -p "$(dirname "$1")"
    printf 'sha256:%s' "$2" >"$1"
  }
  blob "$work/www/config.json"
  link "$repo/_layers/sha256/$hex/link" "$hex"
  blob "$work/www/manifest.json"
  link "$repo/_manifests/revisions/sha256/$hex/link" "$hex"
  link "$repo/_manifests/tags/latest/current/link" "$hex"
  link "$repo/_manifests/tags/latest/index/sha256/$hex/link" "$hex"
}

# The registry must answer the manifest by digest with exactly ocipfsd's bytes.
registry_serves() {
  local url=$1 digest=$2 code
  code=$(curl -sS --max-time 10 -o "$work/registry-manifest.body" -D "$work/registry-manifest.headers" \
    -w '%{http_code}' -H "Accept: $oci_manifest" "$url") || return 1
  [[ $code == 200 ]] || {
    log "registry answered $code: $(head -c 300 "$work/registry-manifest.body")"
    return 1
  }
  cmp -s "$work/registry-manifest.body" "$work/www/manifest.json" || {
    log "registry served other bytes than ocipfsd"
    return 1
  }
  [[ $(header Docker-Content-Digest "$work/registry-manifest.headers") == "$digest" ]] || {
    log "registry's Docker-Content-Digest is not $digest"
    return 1
  }
}

# The warm routes, for layer/<cid> and for image/<cid> (key prefix image_), with their labels,
# methods and Accept lists. HEAD goes to ocipfs_bench load; the rest to wrk.
routes=(manifest_tag manifest_get manifest_head config_get layer_302 tags_list not_modified)
declare -A route_label=([manifest_tag]="manifest GET tag" [manifest_get]="manifest GET digest"
  [manifest_head]="manifest HEAD tag" [config_get]="config GET" [layer_302]="layer GET 302"
  [tags_list]="tags/list" [not_modified]="304 If-None-Match")
declare -A route_method=([manifest_tag]=GET [manifest_get]=GET [manifest_head]=HEAD
  [config_get]=GET [layer_302]=GET [tags_list]=GET [not_modified]=GET)
declare -A route_accept=([manifest_tag]="$accept_all" [manifest_get]="$oci_manifest"
  [manifest_head]="$accept_all" [config_get]="" [layer_302]="" [tags_list]=""
  [not_modified]="$oci_manifest")
# Per server and key (server.key): the URL, and the If-None-Match of the 304 rows.
declare -A target_url=() target_inm=() server_pid=()

# start_nginx DIR NAME LOCATION [PROBE]: nginx on the server core, serving DIR/www, ready when
# PROBE (default /manifest) answers 200; writes its port to DIR/port.
start_nginx() {
  local dir=$1 name=$2 location=$3 probe=${4:-/manifest} port conf pid
  port=$(free_port)
  conf=$(<"$bench_dir/nginx.conf.in")
  conf=${conf//@DIR@/"$dir"}
  conf=${conf//@PORT@/"$port"}
  conf=${conf//@LOCATION@/"$location"}
  conf=${conf//@LOCATION_DIR@/"${location%/*}"}
  printf '%s\n' "$conf" >"$dir/nginx.conf"
  spawn pid "$work/$name.log" taskset -c "$server_cpu" nginx -p "$dir/" -e "$dir/nginx-error.log" \
    -c "$dir/nginx.conf"
  wait_for 10 "$pid" "$name" answers "http://127.0.0.1:$port$probe" 200 ||
    die "$name did not start: $(tail -3 "$work/$name.log" "$dir/nginx-error.log" 2>/dev/null)"
  server_pid[$name]=$pid
  printf '%s\n' "$port" >"$dir/port"
}

# prepare_repo PREFIX KIND CID OCIPFSD_PORT DIR: fetches every warm answer of KIND/CID once from
# ocipfsd and checks it, writes the same bytes under DIR/www for an nginx of its own (named
# nginx-PREFIX), starts it and checks that it answers the same; fills target_url and target_inm
# for the keys PREFIX<route> of ocipfsd, nginx and the null server.
prepare_repo() {
  local prefix=$1 kind=$2 cid=$3 port=$4 dir=$5 base f
  base=http://127.0.0.1:$port/v2/$kind/$cid
  f=${prefix:-layer_}
  fetch "${f}index" 200 "$base/manifests/latest" -H "Accept: $accept_all"
  local index_digest manifest_digest config_digest layer_digest location
  index_digest=$(header Docker-Content-Digest "$work/${f}index.headers")
  [[ $index_digest == "sha256:$(sha256_of "$work/${f}index.body")" ]] ||
    die "$kind: the index's Docker-Content-Digest ($index_digest) is not its sha256"
  [[ $(header Content-Type "$work/${f}index.headers") == "$oci_index" ]] ||
    die "$kind: the index's Content-Type is $(header Content-Type "$work/${f}index.headers")"
  manifest_digest=$(jq -er 'first(.manifests[] | select(.platform.os == "linux" and
    .platform.architecture == "amd64") | .digest) // .manifests[0].digest' "$work/${f}index.body")
  fetch "${f}manifest" 200 "$base/manifests/$manifest_digest" -H "Accept: $oci_manifest"
  [[ $(sha256_of "$work/${f}manifest.body") == "${manifest_digest#sha256:}" ]] ||
    die "$kind: manifest $manifest_digest has other bytes"
  [[ $(header Content-Type "$work/${f}manifest.headers") == "$oci_manifest" ]] ||
    die "$kind: manifest Content-Type is $(header Content-Type "$work/${f}manifest.headers")"
  [[ $kind == layer ]] || [[ $(jq -er '.layers | length' "$work/${f}manifest.body") == "$image_layers" ]] ||
    die "the image manifest does not have $image_layers layers"
  config_digest=$(jq -er .config.digest "$work/${f}manifest.body")
  layer_digest=$(jq -er '.layers[0].digest' "$work/${f}manifest.body")
  fetch "${f}config" 200 "$base/blobs/$config_digest"
  [[ $(sha256_of "$work/${f}config.body") == "${config_digest#sha256:}" ]] ||
    die "$kind: config $config_digest has other bytes"
  fetch "${f}layer" 302 "$base/blobs/$layer_digest"
  location=$(header Location "$work/${f}layer.headers")
  [[ -n $location ]] || die "$kind: the layer's 302 has no Location"
  fetch "${f}head" 200 "$base/manifests/latest" -I -H "Accept: $accept_all"
  [[ $(header Docker-Content-Digest "$work/${f}head.headers") == "$index_digest" ]] ||
    die "$kind: HEAD by tag does not name the index"
  fetch "${f}tags" 200 "$base/tags/list"
  jq -e '.tags | index("latest")' "$work/${f}tags.body" >/dev/null || die "$kind: tags/list has no latest"
  local tags_type
  tags_type=$(header Content-Type "$work/${f}tags.headers")
  [[ $tags_type == application/json* ]] || die "$kind: tags/list Content-Type is $tags_type"
  fetch "${f}304" 304 "$base/manifests/$manifest_digest" -H "Accept: $oci_manifest" \
    -H "If-None-Match: \"$manifest_digest\""
  # The bytes of each answer's body (HEAD: its Content-Length); the null server answers as many.
  local -A bytes=([manifest_tag]=$(wc -c <"$work/${f}index.body")
    [manifest_get]=$(wc -c <"$work/${f}manifest.body")
    [manifest_head]=$(header Content-Length "$work/${f}head.headers")
    [config_get]=$(wc -c <"$work/${f}config.body") [layer_302]=$(wc -c <"$work/${f}layer.body")
    [tags_list]=$(wc -c <"$work/${f}tags.body") [not_modified]=0)
  local route
  for route in "${routes[@]}"; do
    record "ocipfsd.$prefix$route.bytes" "${bytes[$route]}"
    target_url[null.$prefix$route]=http://127.0.0.1:$null_port/${bytes[$route]}
  done
  target_url[ocipfsd.${prefix}manifest_tag]=$base/manifests/latest
  target_url[ocipfsd.${prefix}manifest_get]=$base/manifests/$manifest_digest
  target_url[ocipfsd.${prefix}manifest_head]=$base/manifests/latest
  target_url[ocipfsd.${prefix}config_get]=$base/blobs/$config_digest
  target_url[ocipfsd.${prefix}layer_302]=$base/blobs/$layer_digest
  target_url[ocipfsd.${prefix}tags_list]=$base/tags/list
  target_url[ocipfsd.${prefix}not_modified]=$base/manifests/$manifest_digest
  target_inm[ocipfsd.${prefix}not_modified]="\"$manifest_digest\""
  # The floor: ocipfsd's exact answer to each route, written back by a do-nothing server.
  local answer path
  for route in "${routes[@]}"; do
    answer=$work/${f}answer-$route
    path=/${target_url[ocipfsd.$prefix$route]#http://127.0.0.1:*/}
    python3 "$bench_dir/raw_answer.py" "$port" "${route_method[$route]}" "$path" \
      "${route_accept[$route]}" "${target_inm[ocipfsd.$prefix$route]:-}" >"$answer" ||
      die "$kind: could not read ocipfsd's answer to $path"
    start_floor "$prefix$route" "$answer"
  done
  log "$kind/$cid: index $index_digest, manifest $manifest_digest ($(wc -c <"$work/${f}manifest.body")" \
    "bytes), config $config_digest ($(wc -c <"$work/${f}config.body") bytes), layer 302 to $location"

  # nginx: the same bytes as static files, the same Location.
  local name=nginx-${f%_} nginx_port nginx
  mkdir -p "$dir/www" "$dir/tmp"
  cp "$work/${f}index.body" "$dir/www/index.json"
  cp "$work/${f}manifest.body" "$dir/www/manifest.json"
  cp "$work/${f}config.body" "$dir/www/config.json"
  cp "$work/${f}tags.body" "$dir/www/tags.json"
  chmod 755 "$dir" "$dir/www" && chmod 644 "$dir/www"/*.json
  start_nginx "$dir" "$name" "$location"
  nginx_port=$(<"$dir/port")
  server_pid[nginx.$prefix]=${server_pid[$name]}
  nginx=http://127.0.0.1:$nginx_port
  fetch "$name-manifest" 200 "$nginx/manifest" -H "Accept: $oci_manifest"
  cmp -s "$work/$name-manifest.body" "$work/${f}manifest.body" || die "$name serves other manifest bytes"
  [[ $(header Content-Type "$work/$name-manifest.headers") == "$oci_manifest" ]] ||
    die "$name's manifest Content-Type is $(header Content-Type "$work/$name-manifest.headers")"
  fetch "$name-index" 200 "$nginx/index"
  cmp -s "$work/$name-index.body" "$work/${f}index.body" || die "$name serves other index bytes"
  [[ $(header Content-Type "$work/$name-index.headers") == "$oci_index" ]] || die "$name's index type differs"
  fetch "$name-head" 200 "$nginx/index" -I
  [[ $(header Content-Length "$work/$name-head.headers") == "${bytes[manifest_head]}" ]] ||
    die "$name's HEAD has another Content-Length"
  fetch "$name-config" 200 "$nginx/config"
  cmp -s "$work/$name-config.body" "$work/${f}config.body" || die "$name serves other config bytes"
  fetch "$name-tags" 200 "$nginx/tags"
  cmp -s "$work/$name-tags.body" "$work/${f}tags.body" || die "$name serves other tags/list bytes"
  [[ $(header Content-Type "$work/$name-tags.headers") == "$tags_type" ]] ||
    log "nginx's tags/list Content-Type is $(header Content-Type "$work/$name-tags.headers"), ocipfsd's $tags_type"
  fetch "$name-layer" 302 "$nginx/layer"
  [[ $(header Location "$work/$name-layer.headers") == "$location" ]] || die "$name's Location differs"
  # nginx's ETag for the manifest file, for its 304 row.
  local etag
  etag=$(header ETag "$work/$name-manifest.headers")
  [[ -n $etag ]] || die "$name sent no ETag"
  fetch "$name-304" 304 "$nginx/manifest" -H "If-None-Match: $etag"
  target_url[nginx.${prefix}manifest_tag]=$nginx/index
  target_url[nginx.${prefix}manifest_get]=$nginx/manifest
  target_url[nginx.${prefix}manifest_head]=$nginx/index
  target_url[nginx.${prefix}config_get]=$nginx/config
  target_url[nginx.${prefix}layer_302]=$nginx/layer
  target_url[nginx.${prefix}tags_list]=$nginx/tags
  target_url[nginx.${prefix}not_modified]=$nginx/manifest
  target_inm[nginx.${prefix}not_modified]=$etag
  log "$name on :$nginx_port ($(nginx -v 2>&1 | sed 's/.*: //')); its ETag for the manifest $etag"
}

# start_floor KEY ANSWER: a floor server on the server core that writes the bytes of ANSWER for
# every request; it is asked ocipfsd's request for KEY, and must answer exactly ANSWER.
start_floor() {
  local key=$1 answer=$2 pid port path route=${1#image_}
  spawn pid "$work/floor-$key.log" taskset -c "$server_cpu" "$tool" floor-server \
    --response="$answer" --port-file="$work/floor-$key.port"
  wait_for 10 "$pid" "floor server $key" test -s "$work/floor-$key.port" ||
    die "the floor server for $key did not start: $(tail -3 "$work/floor-$key.log")"
  port=$(<"$work/floor-$key.port")
  server_pid[floor.$key]=$pid
  path=/${target_url[ocipfsd.$key]#http://127.0.0.1:*/}
  target_url[floor.$key]=http://127.0.0.1:$port$path
  target_inm[floor.$key]=${target_inm[ocipfsd.$key]:-}
  if ! python3 "$bench_dir/raw_answer.py" "$port" "${route_method[$route]}" "$path" \
    "${route_accept[$route]}" "${target_inm[floor.$key]}" >"$work/floor-$key.check" ||
    ! cmp -s "$work/floor-$key.check" "$answer"; then
    die "the floor server for $key answers other bytes"
  fi
}

# start_null PORT_VAR: the do-nothing Beast server on the server core.
start_null() {
  local pid
  spawn pid "$work/null.log" taskset -c "$server_cpu" "$tool" null-server --port-file="$work/null.port"
  wait_for 10 "$pid" "null server" gateway_ready "$work/null.port" ||
    die "the null server did not start: $(tail -3 "$work/null.log")"
  server_pid[null]=$pid
  printf -v "$1" '%s' "$(<"$work/null.port")"
}

# aggregate ID: from the rounds ID.r1 ... ID.rN, records ID.rps (the best), ID.p50 and ID.p99
# (the best), ID.cpu (the median), ID.cpu_min and ID.cpu_max, ID.busy (of the best round) and
# ID.errors (all rounds).
aggregate() {
  local id=$1 round rows=""
  for ((round = 1; round <= rounds; round++)); do
    [[ -n $(result "$id.r$round.rps") ]] || continue
    rows+="$(result "$id.r$round.rps") $(result "$id.r$round.p50") $(result "$id.r$round.p99")"
    rows+=" $(result "$id.r$round.cpu") $(result "$id.r$round.errors") $(result "$id.r$round.busy")"$'\n'
  done
  [[ -n $rows ]] || return 0
  local best cpus cpu_list rps p50 p99 busy errors
  best=$(awk 'NF == 6 { n++; if (n == 1 || $1 > rps) { rps = $1; busy = $6 }
    if (n == 1 || $2 < p50) p50 = $2; if (n == 1 || $3 < p99) p99 = $3; errors += $5 }
    END { print rps, p50, p99, busy, errors }' <<<"$rows")
  cpus=$(awk 'NF == 6 { print $4 }' <<<"$rows" | sort -g | tr '\n' ' ')
  read -r -a cpu_list <<<"$cpus"
  local n=${#cpu_list[@]} median
  if ((n % 2 == 1)); then
    median=${cpu_list[n / 2]}
  else
    median=$(awk -v a="${cpu_list[n / 2 - 1]}" -v b="${cpu_list[n / 2]}" 'BEGIN { printf "%.1f", (a + b) / 2 }')
  fi
  read -r rps p50 p99 busy errors <<<"$best"
  record "$id.rps" "$rps"
  record "$id.p50" "$p50"
  record "$id.p99" "$p99"
  record "$id.busy" "$busy"
  record "$id.errors" "$errors"
  record "$id.cpu" "$median"
  record "$id.cpu_min" "${cpu_list[0]}"
  record "$id.cpu_max" "${cpu_list[n - 1]}"
  record "$id.rounds" "$n"
  local client
  client=$(for ((round = 1; round <= rounds; round++)); do result "$id.r$round.client_cpu"; done |
    sort -g | tail -1)
  [[ -z $client ]] || record "$id.client_cpu" "$client"
}

# measure_target SERVER KEY ROUND: one measurement of KEY against SERVER (ocipfsd, nginx, null,
# registry) in ROUND. A failed measurement is logged; the run goes on.
# pid_of SERVER KEY: the process measured for KEY (each repository has an nginx of its own).
pid_of() {
  if [[ $1 == nginx && $2 == image_* ]]; then
    echo "${server_pid[nginx.image_]}"
  elif [[ $1 == nginx ]]; then
    echo "${server_pid[nginx.]}"
  elif [[ $1 == floor ]]; then
    echo "${server_pid[floor.$2]}"
  else
    echo "${server_pid[$1]}"
  fi
}

measure_target() {
  local server=$1 key=$2 round=$3 route=${2#image_} prefix=""
  [[ $key != image_* ]] || prefix=image_
  BENCH_IF_NONE_MATCH=${target_inm[$server.$key]:-} measure "$server.$key.r$round" \
    "${prefix:+image }${route_label[$route]} r$round" "$(pid_of "$server" "$key")" "${target_url[$server.$key]}" \
    "${route_method[$route]}" "${route_accept[$route]}" ||
    log "$server $key round $round: no result"
}

warm() {
  local gateway pid port cid null_port
  # One layer manifest, and one image of image_layers of them for the image rows.
  start_gateway gateway gateway 1 0 --images=1 --image-layers="$image_layers"
  start_ocipfsd pid port ocipfsd-warm "$gateway"
  server_pid[ocipfsd]=$pid
  start_null null_port
  log "ocipfsd on :$port, null server on :$null_port"
  cid=$("$tool" cid --index=0)
  prepare_repo "" layer "$cid" "$port" "$work"
  local image_cid before
  image_cid=$("$tool" cid --image=0 --image-layers="$image_layers")
  before=$(gateway_fetches "$gateway")
  prepare_repo image_ image "$image_cid" "$port" "$work/nginx-image"
  # The reference registry's store is laid out from the layer's files in $work/www.

  # The reference registry, if it can be made to serve the manifest.
  local registry_pid registry_port manifest_digest
  manifest_digest=sha256:$(sha256_of "$work/layer_manifest.body")
  part registry-store populate_registry "$cid"
  if ! grep -qsx registry-store "$work/failed"; then
    registry_port=$(free_port)
    local conf
    conf=$(<"$bench_dir/registry.yml.in")
    conf=${conf//@DIR@/"$work"}
    conf=${conf//@PORT@/"$registry_port"}
    printf '%s\n' "$conf" >"$work/registry.yml"
    spawn registry_pid "$work/registry.log" taskset -c "$server_cpu" docker-registry serve "$work/registry.yml"
    local registry_url=http://127.0.0.1:$registry_port/v2/layer/$cid/manifests/$manifest_digest
    if wait_for 20 "$registry_pid" docker-registry answers "http://127.0.0.1:$registry_port/v2/" 200 &&
      registry_serves "$registry_url" "$manifest_digest"; then
      server_pid[registry]=$registry_pid
      target_url[registry.manifest_get]=$registry_url
      log "docker-registry on :$registry_port ($(docker-registry --version | awk '{print $NF}'))"
    else
      log "docker-registry could not serve the manifest: $(tail -3 "$work/registry.log")"
      echo registry >>"$work/failed"
    fi
  fi

  log "warm-up: 1 s each"
  local server key
  for key in manifest_get image_manifest_get; do
    for server in ocipfsd nginx null floor; do
      measure "warmup.$server.$key" warmup "$(pid_of "$server" "$key")" "${target_url[$server.$key]}" \
        GET "$oci_manifest" 1
    done
  done
  [[ -z ${server_pid[registry]:-} ]] ||
    measure warmup.registry warmup "${server_pid[registry]}" "${target_url[registry.manifest_get]}" \
      GET "$oci_manifest" 1

  log "$rounds rounds of: for each route, ocipfsd, nginx, the null server and the floor back to back (the" \
    "first of them turns with the round); wrk -t1 -c$connections -d${seconds}s --latency" \
    "(HEAD: ocipfs_bench load -c$connections); servers on CPU $server_cpu, clients on CPU $client_cpu"
  local round route prefix order i
  local servers=(ocipfsd nginx null floor)
  for ((round = 1; round <= rounds; round++)); do
    order=()
    for ((i = 0; i < ${#servers[@]}; i++)); do order+=("${servers[(i + round - 1) % ${#servers[@]}]}"); done
    for prefix in "" image_; do
      for route in "${routes[@]}"; do
        for server in "${order[@]}"; do measure_target "$server" "$prefix$route" "$round"; done
        [[ -n $prefix || $route != manifest_get || -z ${server_pid[registry]:-} ]] ||
          measure_target registry manifest_get "$round"
      done
    done
  done
  for prefix in "" image_; do
    for route in "${routes[@]}"; do
      for server in "${servers[@]}"; do aggregate "$server.$prefix$route"; done
    done
  done
  aggregate registry.manifest_get
  record ocipfsd.warm_rss_kib "$(vmrss_kib "$pid")"
  record ocipfsd.image_fetches_during_load "$(($(gateway_fetches "$gateway") - before))"
}

# cache_sum PORT METRIC: a cache gauge of ocipfsd's /metrics summed over its tiers.
cache_sum() {
  curl -sS --max-time 10 "http://127.0.0.1:$1/metrics" |
    awk -v m="$2{" 'index($1, m) == 1 { sum += $2; n++ } END { if (n) printf "%.0f\n", sum }'
}
# cache_tiers PORT METRIC: the gauge by tier, "tier=value ...".
cache_tiers() {
  curl -sS --max-time 10 "http://127.0.0.1:$1/metrics" | awk -v m="$2{" 'index($1, m) == 1 {
    t = $1; sub(/.*tier="/, "", t); sub(/".*/, "", t); printf "%s%s=%.0f", sep, t, $2; sep = " " }'
}

# many_fill ID PID PORT GATEWAY COUNT [FILL_FLAGS...]: caches layer images 0 to COUNT-1 in the
# ocipfsd PID at PORT (each asked for its OCI manifest: fill --paths-file=$work/ID.paths), and
# records ID.idle_kib, ID.after_kib, ID.per_image (resident bytes per image), the cache gauges
# over all tiers (ID.cache_bytes, ID.cache_per_image, ID.entries: by tier) and ID.evicted: 1 when
# image 0, the least recently used, was fetched again when asked for afterwards.
many_fill() {
  local id=$1 pid=$2 port=$3 gateway=$4 count=$5 out=$work/fill-$1.txt status=0 idle after
  shift 5
  idle=$(vmrss_kib "$pid")
  timeout 900 taskset -c "$client_cpu" "$tool" fill --port="$port" --count="$count" \
    --concurrency=64 --paths-file="$work/$id.paths" "$@" >"$out" 2>&1 || status=$?
  cat "$out"
  grep -q '^fill ' "$out" || die "ocipfs_bench fill printed no result (exit $status)"
  ((status == 0)) || die "ocipfs_bench fill failed (exit $status)"
  [[ $(sort -u "$work/$id.paths" | wc -l) == "$count" ]] || die "the paths are not $count distinct ones"
  after=$(vmrss_kib "$pid")
  local bytes fetches path
  bytes=$(cache_sum "$port" ocipfs_cache_bytes)
  record "$id.idle_kib" "$idle"
  record "$id.after_kib" "$after"
  record "$id.per_image" "$(((after - idle) * 1024 / count))"
  record "$id.cache_bytes" "$bytes"
  [[ -z $bytes ]] || record "$id.cache_per_image" "$((bytes / count))"
  record "$id.entries" "$(cache_tiers "$port" ocipfs_cache_entries)"
  # The digests are the real ones, and image 0 (the least recently used) is still cached.
  fetches=$(gateway_fetches "$gateway")
  for path in "$(head -1 "$work/$id.paths")" "$(tail -1 "$work/$id.paths")"; do
    fetch many-check 200 "http://127.0.0.1:$port$path" -H "Accept: $oci_manifest"
    [[ sha256:$(sha256_of "$work/many-check.body") == "${path##*/}" ]] || die "$path has other bytes"
  done
  record "$id.evicted" "$(($(gateway_fetches "$gateway") != fetches))"
  log "$id: $count images cached: VmRSS $idle -> $after KiB, cache $(or_na "$bytes") bytes" \
    "($(result "$id.entries")), image 0 $([[ $(result "$id.evicted") == 0 ]] && echo kept || echo EVICTED)"
  awk '{ print "GET", $0, "oci" }' "$work/$id.paths" >"$work/$id.requests"
  head -1 "$work/$id.requests" >"$work/$id.one.requests"
}

# many_rounds ROW...: the rounds of the rows ROW ("KEY LABEL PID URL REQUESTS_FILE"), one
# measurement of each per round, the order reversed every other round; then their aggregates.
many_rounds() {
  local round i rows=("$@") key label pid url requests
  for ((i = 0; i < ${#rows[@]}; i++)); do
    read -r key label pid url requests <<<"${rows[i]}"
    BENCH_REQUESTS=$requests measure "warmup.$key" warmup "$pid" "$url" GET "" 1
  done
  for ((round = 1; round <= rounds; round++)); do
    for ((i = 0; i < ${#rows[@]}; i++)); do
      local row=${rows[i]}
      ((round % 2 == 1)) || row=${rows[${#rows[@]} - 1 - i]}
      read -r key label pid url requests <<<"$row"
      BENCH_REQUESTS=$requests measure "$key.r$round" "${label//_/ } r$round" "$pid" "$url" GET "" ||
        log "$key round $round: no result"
    done
  done
  for row in "${rows[@]}"; do aggregate "${row%% *}"; done
}

# Many distinct images: manifest GET by digest cycling over many_count layer/<cid> images (in an
# ocipfsd with the default --cache-size) and over many_large_count (in another ocipfsd, with the
# default --cache-size if it holds them all, else 1GiB), beside the same route on one image of
# each, and beside one nginx serving the same manifests as files (named by digest) in the same
# order. Every row goes through ocipfs_bench load with a file of requests, one path a request.
many_images() {
  local gateway small_pid small_port large_pid large_port nginx_port
  start_gateway gateway gateway-many "$many_large_count" 0
  start_ocipfsd small_pid small_port ocipfsd-many "$gateway" default
  many_fill many.small "$small_pid" "$small_port" "$gateway" "$many_count"
  start_ocipfsd large_pid large_port ocipfsd-many-large "$gateway" default
  many_fill many.large "$large_pid" "$large_port" "$gateway" "$many_large_count" \
    --save-dir="$work/many/www"
  record many.large_cache default
  # How many layer images the default --cache-size holds (all of them, or what it kept).
  record many.default_entries "$(cache_gauge "$large_port" ocipfs_cache_entries images)"
  if [[ $(result many.large.evicted) == 1 ]]; then
    log "the default --cache-size did not keep $many_large_count images: again with --cache-size=1GiB"
    stop_pid "$large_pid"
    start_ocipfsd large_pid large_port ocipfsd-many-large-1g "$gateway" 1GiB
    many_fill many.large "$large_pid" "$large_port" "$gateway" "$many_large_count"
    record many.large_cache 1GiB
  fi
  # nginx: the same manifests, as files named by the hex of their digest, in the same order.
  chmod -R a+rX "$work/many"
  mkdir -p "$work/many/tmp"
  sed 's|.*/sha256:\(.*\)|GET /manifest/\1 oci|' "$work/many.large.paths" >"$work/nginx-many.requests"
  head -"$many_count" "$work/nginx-many.requests" >"$work/nginx-many.small.requests"
  head -1 "$work/nginx-many.requests" >"$work/nginx-many.one.requests"
  start_nginx "$work/many" nginx-many http://127.0.0.1:9/unused/layer \
    "$(awk 'NR == 1 { print $2 }' "$work/nginx-many.requests")"
  nginx_port=$(<"$work/many/port")
  local path hex
  path=$(awk 'NR == 1 { print $2 }' "$work/nginx-many.requests")
  fetch nginx-many-check 200 "http://127.0.0.1:$nginx_port$path"
  hex=${path##*/}
  [[ $(sha256_of "$work/nginx-many-check.body") == "$hex" ]] || die "nginx-many serves other bytes"
  local fetches o=http://127.0.0.1:$small_port l=http://127.0.0.1:$large_port
  local n=http://127.0.0.1:$nginx_port nginx_pid=${server_pid[nginx-many]}
  fetches=$(gateway_fetches "$gateway")
  many_rounds "many.one ocipfsd,_1_image $small_pid $o $work/many.small.one.requests" \
    "nginx_many.one nginx,_1_image $nginx_pid $n $work/nginx-many.one.requests" \
    "many.all ocipfsd,_${many_count}_images $small_pid $o $work/many.small.requests" \
    "nginx_many.all nginx,_${many_count}_images $nginx_pid $n $work/nginx-many.small.requests" \
    "many.large_one ocipfsd-large,_1_image $large_pid $l $work/many.large.one.requests" \
    "many.large ocipfsd-large,_${many_large_count}_images $large_pid $l $work/many.large.requests" \
    "nginx_many.large nginx,_${many_large_count}_images $nginx_pid $n $work/nginx-many.requests"
  record many.refetched "$(($(gateway_fetches "$gateway") - fetches))"
  record many.rss_kib "$(vmrss_kib "$small_pid")"
  record many.large_rss_kib "$(vmrss_kib "$large_pid")"
  (($(result many.refetched) == 0)) ||
    log "$(result many.refetched) gateway fetches during the load: a cache did not keep its images"
}

# The Zipf row: zipf_count layer images (an ocipfsd with the default --cache-size), pulled with
# Zipf(1.0) popularity (zipf_pulls pulls drawn with a fixed seed), each pull the requests docker
# sends: HEAD by tag and GET of the index by digest (docker's Accept list), GET of the
# linux/amd64 manifest by digest, GET of the config, GET of the layer (a 302). Beside nginx
# serving the same documents as files and a 302 to the same Location, in the same order.
zipf() {
  local gateway pid port nginx_port out=$work/fill-zipf.txt status=0 idle
  start_gateway gateway gateway-zipf "$zipf_count" 0
  start_ocipfsd pid port ocipfsd-zipf "$gateway" default
  idle=$(vmrss_kib "$pid")
  timeout 900 taskset -c "$client_cpu" "$tool" fill --port="$port" --count="$zipf_count" \
    --concurrency=64 --pulls-file="$work/zipf.pulls" --save-dir="$work/zipf/www" >"$out" 2>&1 ||
    status=$?
  cat "$out"
  ((status == 0)) || die "ocipfs_bench fill --pulls-file failed (exit $status)"
  record zipf.rss_fill_kib "$(($(vmrss_kib "$pid") - idle))"
  local cid layer location
  read -r cid _ _ _ layer < <(head -1 "$work/zipf.pulls")
  fetch zipf-layer 302 "http://127.0.0.1:$port/v2/layer/$cid/blobs/$layer"
  location=$(header Location "$work/zipf-layer.headers")
  [[ $location == */layer-0.tar.gz ]] || die "image 0's layer redirects to $location"
  python3 - "$work/zipf.pulls" "$zipf_pulls" "$work/zipf.requests" "$work/nginx-zipf.requests" <<'PY'
import bisect, itertools, random, sys
pulls_file, pulls, ours, nginx = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
images = [line.split() for line in open(pulls_file) if line.strip()]
rng = random.Random(31)
# Zipf(1.0): the image of popularity rank k is pulled with probability proportional to 1/k; the
# ranks are given to the images in a random order.
ranked = list(range(len(images)))
rng.shuffle(ranked)
cumulative = list(itertools.accumulate(1.0 / k for k in range(1, len(images) + 1)))
with open(ours, "w") as o, open(nginx, "w") as n:
    for _ in range(pulls):
        i = ranked[bisect.bisect_left(cumulative, rng.random() * cumulative[-1])]
        cid, index, manifest, config, layer = images[i]
        base = f"/v2/layer/{cid}"
        o.write(f"HEAD {base}/manifests/latest docker\nGET {base}/manifests/{index} docker\n"
                f"GET {base}/manifests/{manifest} docker\nGET {base}/blobs/{config}\n"
                f"GET {base}/blobs/{layer}\n")
        hexes = [d.split(":", 1)[1] for d in (index, manifest, config)]
        n.write(f"HEAD /index/{hexes[0]} docker\nGET /index/{hexes[0]} docker\n"
                f"GET /manifest/{hexes[1]} docker\nGET /config/{hexes[2]}\nGET /layer-{i}.tar.gz\n")
PY
  chmod -R a+rX "$work/zipf"
  mkdir -p "$work/zipf/tmp"
  local first_index
  first_index=$(awk 'NR == 2 { print $2 }' "$work/nginx-zipf.requests")
  start_nginx "$work/zipf" nginx-zipf "$location" "$first_index"
  nginx_port=$(<"$work/zipf/port")
  fetch nginx-zipf-layer 302 "http://127.0.0.1:$nginx_port/layer-0.tar.gz"
  [[ $(header Location "$work/nginx-zipf-layer.headers") == "$location" ]] ||
    die "nginx-zipf's Location differs: $(header Location "$work/nginx-zipf-layer.headers")"
  record zipf.distinct "$(awk 'NR % 5 == 1' "$work/zipf.requests" | sort -u | wc -l)"
  local fetches
  fetches=$(gateway_fetches "$gateway")
  many_rounds "zipf.ocipfsd ocipfsd,_Zipf_pulls $pid http://127.0.0.1:$port $work/zipf.requests" \
    "zipf.nginx nginx,_Zipf_pulls ${server_pid[nginx-zipf]} http://127.0.0.1:$nginx_port $work/nginx-zipf.requests"
  record zipf.refetched "$(($(gateway_fetches "$gateway") - fetches))"
  record zipf.rss_kib "$(vmrss_kib "$pid")"
  record zipf.cache_bytes "$(cache_sum "$port" ocipfs_cache_bytes)"
  record zipf.entries "$(cache_tiers "$port" ocipfs_cache_entries)"
}

cold() {
  local gateway pid port cid out status=0
  start_gateway gateway gateway-slow 2 100
  cid=$("$tool" cid --index=1)
  start_ocipfsd pid port ocipfsd-cold "$gateway"
  out=$work/cold.txt
  timeout 120 taskset -c "$client_cpu" "$tool" cold --port="$port" --cid="$cid" \
    --concurrency="$cold_concurrency" >"$out" 2>&1 || status=$?
  cat "$out"
  local line fetches
  line=$(grep '^cold ' "$out") || die "ocipfs_bench cold printed no result (exit $status)"
  fetches=$(gateway_fetches "$gateway")
  echo "gateway fetches=$fetches"
  record cold.ok "$(field ok "$line")"
  record cold.p50 "$(field p50_ms "$line")"
  record cold.p99 "$(field p99_ms "$line")"
  record cold.fetches "$fetches"
  ((status == 0)) || die "ocipfs_bench cold failed (exit $status)"
  # The same burst again, now cached: what 1,000 connections at once cost without the gateway.
  timeout 120 taskset -c "$client_cpu" "$tool" cold --port="$port" --cid="$cid" \
    --concurrency="$cold_concurrency" >"$out" 2>&1 || status=$?
  sed 's/^cold /cached, the same burst: /' "$out"
  line=$(grep '^cold ' "$out") || die "ocipfs_bench cold printed no result (exit $status)"
  record cold.cached_p50 "$(field p50_ms "$line")"
  record cold.cached_p99 "$(field p99_ms "$line")"
  ((status == 0)) || die "ocipfs_bench cold failed on the cached CID (exit $status)"
  fetches=$(gateway_fetches "$gateway")
  ((fetches == 1)) || log "the cached CID was fetched again: $fetches fetches in all"
}

# Hedged fetches: hedge_requests distinct uncached CIDs, hedge_concurrency at a time, from two
# gateways: the preferred one answers in hedge_slow_ms, the other in hedge_fast_ms. Each cold
# answer should take about --hedge-after + hedge_fast_ms, never the slow gateway's time.
hedge() {
  local slow fast pid port out status=0 line
  start_gateway slow gateway-hedge-slow "$hedge_requests" "$hedge_slow_ms"
  start_gateway fast gateway-hedge-fast "$hedge_requests" "$hedge_fast_ms"
  spawn pid "$work/ocipfsd-hedge.log" taskset -c "$server_cpu" "$ocipfsd" --threads=1 \
    --log-level=warn --listen=127.0.0.1:0 --gateway="http://127.0.0.1:$slow" \
    --gateway="http://127.0.0.1:$fast" --hedge-after="${hedge_after_ms}ms" --cache-size=1GiB
  wait_for 10 "$pid" ocipfsd-hedge ocipfsd_port "$pid" "$work/ocipfsd-hedge.log" ||
    die "ocipfsd-hedge did not start: $(tail -3 "$work/ocipfsd-hedge.log")"
  port=$(ocipfsd_port "$pid" "$work/ocipfsd-hedge.log")
  out=$work/hedge.txt
  timeout 120 taskset -c "$client_cpu" "$tool" cold-each --port="$port" --count="$hedge_requests" \
    --concurrency="$hedge_concurrency" >"$out" 2>&1 || status=$?
  cat "$out"
  line=$(grep '^cold-each ' "$out") || die "ocipfs_bench cold-each printed no result (exit $status)"
  local metrics
  metrics=$(curl -sS --max-time 10 "http://127.0.0.1:$port/metrics")
  record hedge.ok "$(field ok "$line")"
  record hedge.p50 "$(field p50_ms "$line")"
  record hedge.p99 "$(field p99_ms "$line")"
  record hedge.max "$(field max_ms "$line")"
  record hedge.started "$(awk '$1 == "ocipfs_gateway_hedges_total" {print $2}' <<<"$metrics")"
  record hedge.won "$(awk '$1 == "ocipfs_gateway_hedges_won_total" {print $2}' <<<"$metrics")"
  record hedge.slow_fetches "$(gateway_fetches "$slow")"
  record hedge.fast_fetches "$(gateway_fetches "$fast")"
  echo "hedges started=$(result hedge.started) won=$(result hedge.won);" \
    "gateway fetches: slow $(result hedge.slow_fetches), fast $(result hedge.fast_fetches)"
  ((status == 0)) || die "ocipfs_bench cold-each failed (exit $status)"
}

# The cold image: image_concurrency requests at once for one uncached image/<cid> of
# image_layers layers, each gateway fetch image_latency_ms late. The document is fetched, then its
# layer manifests, layers_at_once at a time: 1 + ceil(layers / layers_at_once) round trips; the
# bound allows 2 round trips besides the waves.
cold_image() {
  local gateway pid port out status=0 line fetches paths most
  start_gateway gateway gateway-image-slow 1 "$image_latency_ms" --images=1 \
    --image-layers="$image_layers"
  start_ocipfsd pid port ocipfsd-cold-image "$gateway"
  out=$work/cold-image.txt
  timeout 120 taskset -c "$client_cpu" "$tool" cold-image --port="$port" --image=0 \
    --image-layers="$image_layers" --concurrency="$image_concurrency" >"$out" 2>&1 || status=$?
  cat "$out"
  line=$(grep '^cold-image ' "$out") || die "ocipfs_bench cold-image printed no result (exit $status)"
  fetches=$(gateway_stat "$gateway" fetches)
  paths=$(gateway_stat "$gateway" paths)
  most=$(gateway_stat "$gateway" most_per_path)
  echo "gateway fetches=$fetches distinct=$paths most_per_cid=$most" \
    "(expected $((1 + image_layers)): the document and each layer manifest once)"
  record cold_image.ok "$(field ok "$line")"
  record cold_image.first_byte "$(field first_byte_ms "$line")"
  record cold_image.first_byte_max "$(field first_byte_max_ms "$line")"
  record cold_image.p50 "$(field p50_ms "$line")"
  record cold_image.p99 "$(field p99_ms "$line")"
  record cold_image.bytes "$(field bytes "$line")"
  record cold_image.fetches "$fetches"
  record cold_image.paths "$paths"
  record cold_image.most "$most"
  ((status == 0)) || die "ocipfs_bench cold-image failed (exit $status)"
  # The same burst again, now cached.
  timeout 120 taskset -c "$client_cpu" "$tool" cold-image --port="$port" --image=0 \
    --image-layers="$image_layers" --concurrency="$image_concurrency" >"$out" 2>&1 || status=$?
  sed 's/^cold-image /cached, the same burst: /' "$out"
  line=$(grep '^cold-image ' "$out") || die "ocipfs_bench cold-image printed no result (exit $status)"
  record cold_image.cached_first_byte "$(field first_byte_ms "$line")"
  record cold_image.cached_p99 "$(field p99_ms "$line")"
  ((status == 0)) || die "ocipfs_bench cold-image failed on the cached image (exit $status)"
  local again
  again=$(gateway_stat "$gateway" fetches)
  ((again == fetches)) || log "the cached image was fetched again: $again fetches in all"
  record cold_image.refetched "$((again - fetches))"
}

memory() {
  local gateway pid port idle after out status=0 line
  start_gateway gateway gateway-100k "$cache_count" 0
  start_ocipfsd pid port ocipfsd-memory "$gateway"
  idle=$(vmrss_kib "$pid")
  out=$work/fill.txt
  timeout 600 taskset -c "$client_cpu" "$tool" fill --port="$port" --count="$cache_count" \
    --concurrency=64 >"$out" 2>&1 || status=$?
  cat "$out"
  line=$(grep '^fill ' "$out") || die "ocipfs_bench fill printed no result (exit $status)"
  ((status == 0)) || die "ocipfs_bench fill failed (exit $status)"
  after=$(vmrss_kib "$pid")
  # The least recently used image is the first one: if it is still cached, they all are.
  local fetches again
  fetches=$(gateway_fetches "$gateway")
  [[ $(http_code "http://127.0.0.1:$port/v2/layer/$("$tool" cid --index=0)/manifests/latest") == 200 ]] ||
    die "image 0 no longer resolves"
  again=$(gateway_fetches "$gateway")
  echo "idle VmRSS=${idle} KiB; after ${cache_count} images VmRSS=${after} KiB; gateway fetches=$fetches"
  ((again == fetches)) || log "image 0 was evicted: the cache did not keep all $cache_count images"
  record memory.idle_kib "$idle"
  record memory.after_kib "$after"
  record memory.evicted "$((again != fetches))"
  record memory.per_image "$(((after - idle) * 1024 / cache_count))"
}

# Memory per cached image/<cid>: image_cache_count images of image_layers layers that share their
# base (image_layers - 1 layer manifests, and one of each image's own). The hot tier keeps
# prebuilt images (an eighth of --cache-size, at most 32 MiB); the rest keeps verified documents,
# from which an image is rebuilt: /metrics says how much each holds. The images are cached in two
# halves: the first fills the hot tier (a prebuilt 100-layer image is several hundred KB), so the
# resident set's growth over the second is what one more cached image costs.
memory_image() {
  local gateway pid port idle half middle after out status=0 line
  start_gateway gateway gateway-images 1 0 --images="$image_cache_count" --image-layers="$image_layers"
  start_ocipfsd pid port ocipfsd-memory-image "$gateway"
  idle=$(vmrss_kib "$pid")
  half=$((image_cache_count / 2))
  out=$work/fill-image.txt
  timeout 600 taskset -c "$client_cpu" "$tool" fill-image --port="$port" --count="$half" \
    --image-layers="$image_layers" --concurrency=64 >"$out" 2>&1 || status=$?
  cat "$out"
  line=$(grep '^fill-image ' "$out") || die "ocipfs_bench fill-image printed no result (exit $status)"
  ((status == 0)) || die "ocipfs_bench fill-image failed (exit $status)"
  middle=$(vmrss_kib "$pid")
  timeout 600 taskset -c "$client_cpu" "$tool" fill-image --port="$port" --first="$half" \
    --count="$image_cache_count" --image-layers="$image_layers" --concurrency=64 >"$out" 2>&1 ||
    status=$?
  cat "$out"
  line=$(grep '^fill-image ' "$out") || die "ocipfs_bench fill-image printed no result (exit $status)"
  ((status == 0)) || die "ocipfs_bench fill-image failed (exit $status)"
  after=$(vmrss_kib "$pid")
  local fetches again cache_bytes cache_entries
  fetches=$(gateway_fetches "$gateway")
  cache_bytes=$(cache_gauge "$port" ocipfs_cache_bytes images)
  cache_entries=$(cache_gauge "$port" ocipfs_cache_entries images)
  # The first image filled is the least recently used: if it resolves with no fetch, they all do.
  [[ $(http_code "http://127.0.0.1:$port/v2/image/$("$tool" cid --image=0 \
    --image-layers="$image_layers")/manifests/latest") == 200 ]] || die "image 0 no longer resolves"
  again=$(gateway_fetches "$gateway")
  echo "idle VmRSS=${idle} KiB; after $half images VmRSS=${middle} KiB;" \
    "after ${image_cache_count} images of $image_layers layers VmRSS=${after} KiB;" \
    "gateway fetches=$fetches (expected $((image_cache_count + image_cache_count + image_layers - 1)))"
  echo "cache gauges: ${cache_bytes:-?} bytes in ${cache_entries:-?} entries (images and layers)"
  ((again == fetches)) || log "image 0 was evicted: the cache did not keep all $image_cache_count images"
  record memory_image.idle_kib "$idle"
  record memory_image.after_kib "$after"
  record memory_image.evicted "$((again != fetches))"
  record memory_image.fetches "$fetches"
  record memory_image.per_image "$(((after - idle) * 1024 / image_cache_count))"
  record memory_image.middle_kib "$middle"
  ((image_cache_count - half == 0)) ||
    record memory_image.marginal "$(((after - middle) * 1024 / (image_cache_count - half)))"
  record memory_image.cache_bytes "$cache_bytes"
  record memory_image.cache_entries "$cache_entries"
  [[ -z $cache_bytes ]] || record memory_image.cache_per_image "$((cache_bytes / image_cache_count))"
}

startup() {
  local out=$work/startup.txt status=0 line
  # ocipfs_bench adds --listen=127.0.0.1:<free port> itself.
  timeout 120 "$tool" startup --runs=20 -- "$ocipfsd" --gateway=http://127.0.0.1:9 --threads=1 \
    --log-level=warn >"$out" 2>&1 || status=$?
  cat "$out"
  line=$(grep '^startup ' "$out") || die "ocipfs_bench startup printed no result (exit $status)"
  record startup.median "$(field median_ms "$line")"
  record startup.max "$(field max_ms "$line")"
}

# --- report ---------------------------------------------------------------------------------

# ratio A B: A/B with two decimals, or n/a.
ratio() {
  if [[ -n $1 && -n $2 && $1 != n/a && $2 != n/a ]]; then
    awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%.2f", a / b }'
  else
    echo n/a
  fi
}
# verdict VALUE OP LIMIT: PASS or MISS (awk comparison), or NOT RUN when VALUE is missing.
verdict() {
  if [[ -z $1 || $1 == n/a ]]; then
    echo "NOT RUN"
  elif awk -v v="$1" -v l="$3" "BEGIN { exit !(v $2 l) }"; then
    echo PASS
  else
    echo MISS
  fi
}
or_na() { if [[ -n $1 ]]; then echo "$1"; else echo n/a; fi; }
# mib KIB: KiB as MiB with one decimal, or n/a.
mib() { if [[ -n $1 ]]; then awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; else echo n/a; fi; }

# One line of the warm table.
row() {
  printf '%-22s %7s %6s %9s  %7s %6s %9s  %7s %6s %9s  %7s %6s %9s  %5s %5s %5s %5s\n' "$@"
}
# cpu_range ID: the CPU us/req over the rounds, min-max.
cpu_range() {
  local low high
  low=$(result "$1.cpu_min")
  high=$(result "$1.cpu_max")
  if [[ -z $low ]]; then echo n/a; elif [[ $low == "$high" ]]; then echo "$low"; else echo "$low-$high"; fi
}
# warm_row LABEL KEY: ocipfsd, nginx, the null server and the floor on KEY, and the CPU ratios.
warm_row() {
  local label=$1 key=$2 server cells=()
  for server in ocipfsd nginx null floor; do
    cells+=("$(or_na "$(result "$server.$key.rps")")" "$(or_na "$(result "$server.$key.p99")")"
      "$(cpu_range "$server.$key")")
  done
  local o n z f
  o=$(result "ocipfsd.$key.cpu")
  n=$(result "nginx.$key.cpu")
  z=$(result "null.$key.cpu")
  f=$(result "floor.$key.cpu")
  row "$label" "${cells[@]}" "$(ratio "$n" "$o")" "$(ratio "$o" "$f")" "$(ratio "$n" "$f")" \
    "$(ratio "$z" "$o")"
}

many_row() { printf '  %-34s %8s %7s %11s  %8s %7s %11s  %9s %5s\n' "$@"; }
# many_line LABEL OCIPFSD_ID NGINX_ID ONE_ID: a row of the many-images table; with no NGINX_ID,
# ONE_ID, just the server's own columns.
many_line() {
  local n=$3 one=$4
  many_row "$1" "$(or_na "$(result "$2.rps")")" "$(or_na "$(result "$2.p99")")" "$(cpu_range "$2")" \
    "${n:+$(or_na "$(result "$n.rps")")}" "${n:+$(or_na "$(result "$n.p99")")}" "${n:+$(cpu_range "$n")}" \
    "${one:+$(ratio "$(result "$2.cpu")" "$(result "$one.cpu")")}" \
    "${n:+$(ratio "$(result "$n.cpu")" "$(result "$2.cpu")")}"
}

summary() {
  local route label prefix server
  if wanted warm; then
    echo
    echo "== ocipfs benchmark: each server on one core (CPU $server_cpu), one thread; wrk -t1" \
      "-c$connections -d${seconds}s on CPU $client_cpu (HEAD: ocipfs_bench load -c$connections);" \
      "$rounds interleaved rounds =="
    printf '%-22s %-25s  %-25s  %-25s  %-25s  %s\n' "" "-------- ocipfsd --------" \
      "--------- nginx ---------" "--- null Beast server ---" "--------- floor ---------" \
      "---- CPU per request ----"
    row route "req/s" "p99 ms" "CPU us" "req/s" "p99 ms" "CPU us" "req/s" "p99 ms" "CPU us" \
      "req/s" "p99 ms" "CPU us" "n/o" "o/f" "n/f" "z/o"
    for prefix in "" image_; do
      [[ -z $prefix ]] || echo "image/<cid> of $image_layers layer manifests (the same ocipfsd; an nginx of its bytes):"
      for route in "${routes[@]}"; do
        warm_row "${route_label[$route]}" "$prefix$route"
      done
    done
    echo "docker-registry 2.8, layer manifest GET by digest: $(or_na "$(result registry.manifest_get.rps)")" \
      "req/s, p99 $(or_na "$(result registry.manifest_get.p99)") ms, CPU $(cpu_range registry.manifest_get) us;" \
      "CPU registry/ocipfsd $(ratio "$(result registry.manifest_get.cpu)" "$(result ocipfsd.manifest_get.cpu)")," \
      "req/s ocipfsd/registry $(ratio "$(result ocipfsd.manifest_get.rps)" "$(result registry.manifest_get.rps)")"
    echo "req/s and p99: the best of the rounds; CPU us: the server's CPU time per request (from" \
      "/proc/PID/stat), lowest-highest over the rounds."
    echo "CPU per request, of the medians: n/o nginx over ocipfsd (>= 1: ocipfsd is cheaper), o/f" \
      "ocipfsd over the floor and n/f nginx over the floor (1: what loopback TCP costs), z/o the null" \
      "server over ocipfsd."
    echo "The null server answers every route with a 200 of the same size as ocipfsd's body (HEAD: the" \
      "Content-Length; 304: an empty 200); nginx's 304 answers its own ETag. The floor writes" \
      "ocipfsd's own answer, byte for byte, for every request head."
    local head_clients=""
    for prefix in "" image_; do
      for server in ocipfsd nginx null floor; do
        head_clients+=" ${prefix:-layer_}$server $(or_na "$(result "$server.${prefix}manifest_head.client_cpu")");"
      done
    done
    echo "HEAD rows: the client's own CPU per request (ocipfs_bench load, highest of the rounds, us):" \
      "${head_clients%;}"
    local bytes_line=""
    for route in "${routes[@]}"; do
      bytes_line+=" ${route_label[$route]} $(or_na "$(result "ocipfsd.$route.bytes")")/$(or_na "$(result "ocipfsd.image_$route.bytes")");"
    done
    echo "body bytes, layer/image:${bytes_line%;}"
    local busy_o busy_n
    busy_o=$(result ocipfsd.manifest_get.busy)
    busy_n=$(result nginx.manifest_get.busy)
    if [[ -n $busy_o && -n $busy_n ]]; then
      echo "During manifest GET by digest, ocipfsd used ${busy_o}% of its core and nginx ${busy_n}%."
      if ((busy_o < 90 || busy_n < 90)); then
        echo "A server under 90% was not what set the pace (the client's core and the rest of the" \
          "machine were): its req/s understates it, and the CPU column compares them better."
      fi
    fi
  fi
  if wanted many; then
    echo
    echo "many images: manifest GET by digest (Accept: the OCI manifest), cycling over distinct cached" \
      "layer/<cid> images, one path a request (ocipfs_bench load -c$connections, same rounds); nginx" \
      "serves the same manifests as files named by digest, in the same order:"
    local large_cache
    large_cache=$(or_na "$(result many.large_cache)")
    many_row "" "-------- ocipfsd --------" "" "" "--------- nginx ---------" "" "" "-- CPU --" ""
    many_row "" "req/s" "p99 ms" "CPU us" "req/s" "p99 ms" "CPU us" "o/1 image" "n/o"
    many_line "1 image (default cache)" many.one nginx_many.one many.one
    many_line "$many_count images (default)" many.all nginx_many.all many.one
    many_line "1 image (cache $large_cache)" many.large_one nginx_many.one many.large_one
    many_line "$many_large_count images (cache $large_cache)" many.large nginx_many.large many.large_one
    echo "  --cache-size of the $many_large_count-image ocipfsd: $large_cache$([[ $large_cache != 1GiB ]] ||
      echo " (the default did not keep them all)"); gateway fetches during the load:" \
      "$(or_na "$(result many.refetched)") (0: every image stayed cached)"
    local id count
    for id in small large; do
      count=$many_count
      [[ $id == small ]] || count=$many_large_count
      echo "  memory with $count images cached: VmRSS $(mib "$(result "many.$id.idle_kib")") ->" \
        "$(mib "$(result "many.$id.after_kib")") MiB, $(or_na "$(result "many.$id.per_image")") bytes/image;" \
        "ocipfs_cache_bytes $(or_na "$(result "many.$id.cache_bytes")") ($(or_na "$(result "many.$id.cache_per_image")")" \
        "bytes/image), ocipfs_cache_entries $(or_na "$(result "many.$id.entries")")"
    done
  fi
  if wanted zipf; then
    echo
    echo "Zipf: $zipf_pulls pulls of $zipf_count layer/<cid> images with Zipf(1.0) popularity (fixed seed;" \
      "$(or_na "$(result zipf.distinct)") distinct images pulled), each HEAD by tag, GET index, GET manifest" \
      "by digest (docker's Accept), GET config, GET layer (302); ocipfsd with the default --cache-size," \
      "nginx serving the same files and 302s in the same order (ocipfs_bench load -c$connections):"
    many_row "" "req/s" "p99 ms" "CPU us" "" "" "" "" "n/o"
    many_line "ocipfsd" zipf.ocipfsd "" ""
    many_line "nginx" zipf.nginx "" ""
    echo "  nginx/ocipfsd CPU per request: $(ratio "$(result zipf.nginx.cpu)" "$(result zipf.ocipfsd.cpu)");" \
      "gateway fetches during the load: $(or_na "$(result zipf.refetched)"); ocipfsd VmRSS" \
      "$(mib "$(result zipf.rss_kib)") MiB, ocipfs_cache_bytes $(or_na "$(result zipf.cache_bytes)")," \
      "ocipfs_cache_entries $(or_na "$(result zipf.entries)")"
  fi
  local errors
  errors=$(grep -E '\.errors=[1-9]' "$results" | tr '\n' ' ' || true)
  [[ -z $errors ]] || echo "ERRORS during the load: $errors"
  if wanted cold; then
    echo "cold: $cold_concurrency concurrent requests for one uncached CID, gateway latency 100 ms:" \
      "ok=$(or_na "$(result cold.ok)") gateway fetches=$(or_na "$(result cold.fetches)")" \
      "p50=$(or_na "$(result cold.p50)") ms p99=$(or_na "$(result cold.p99)") ms"
    echo "      the same burst once cached: p50=$(or_na "$(result cold.cached_p50)") ms" \
      "p99=$(or_na "$(result cold.cached_p99)") ms"
  fi
  if wanted cold-image; then
    echo "cold image: $image_concurrency concurrent requests for one uncached image/<cid> of" \
      "$image_layers layers, gateway latency $image_latency_ms ms per fetch: ok=$(or_na "$(result cold_image.ok)")" \
      "gateway fetches=$(or_na "$(result cold_image.fetches)") (distinct CIDs $(or_na "$(result cold_image.paths)")," \
      "at most $(or_na "$(result cold_image.most)") each; expected $((1 + image_layers)))"
    echo "      first manifest byte: p50=$(or_na "$(result cold_image.first_byte)") ms" \
      "max=$(or_na "$(result cold_image.first_byte_max)") ms; bound ${image_bound_ms} ms = 2 round trips" \
      "+ $image_waves waves of $layers_at_once layers, ${image_latency_ms} ms each (ideal $(((1 + image_waves) * image_latency_ms)) ms);" \
      "whole answer ($(or_na "$(result cold_image.bytes)") bytes) p99=$(or_na "$(result cold_image.p99)") ms"
    echo "      the same burst once cached: first byte p50=$(or_na "$(result cold_image.cached_first_byte)") ms" \
      "p99=$(or_na "$(result cold_image.cached_p99)") ms; fetched again: $(or_na "$(result cold_image.refetched)")"
  fi
  if wanted hedge; then
    echo "hedge: $hedge_requests distinct uncached CIDs, $hedge_concurrency at a time; preferred gateway" \
      "${hedge_slow_ms} ms, second ${hedge_fast_ms} ms, --hedge-after=${hedge_after_ms}ms:" \
      "ok=$(or_na "$(result hedge.ok)") p50=$(or_na "$(result hedge.p50)") ms" \
      "p99=$(or_na "$(result hedge.p99)") ms max=$(or_na "$(result hedge.max)") ms" \
      "(hedge + fast = $((hedge_after_ms + hedge_fast_ms)) ms); hedges $(or_na "$(result hedge.started)")," \
      "won $(or_na "$(result hedge.won)")"
  fi
  local idle after per idle_mib after_mib warm_mib=n/a
  [[ -z $(result ocipfsd.warm_rss_kib) ]] ||
    warm_mib=$(awk -v k="$(result ocipfsd.warm_rss_kib)" 'BEGIN { printf "%.1f", k / 1024 }')
  idle=$(result memory.idle_kib)
  after=$(result memory.after_kib)
  per=$(result memory.per_image)
  idle_mib=n/a
  after_mib=n/a
  [[ -z $idle ]] || idle_mib=$(awk -v k="$idle" 'BEGIN { printf "%.1f", k / 1024 }')
  [[ -z $after ]] || after_mib=$(awk -v k="$after" 'BEGIN { printf "%.1f", k / 1024 }')
  if wanted memory; then
    echo "memory: VmRSS idle $idle_mib MiB, with $cache_count images cached $after_mib MiB:" \
      "$(or_na "$per") bytes/image$([[ $(result memory.evicted) != 1 ]] || echo " (SOME WERE EVICTED)");" \
      "after the warm runs ($connections connections, 1 image) $warm_mib MiB"
  fi
  local ii ia ip
  ii=$(result memory_image.idle_kib)
  ia=$(result memory_image.after_kib)
  ip=$(result memory_image.per_image)
  if wanted memory-image; then
    echo "memory, images: VmRSS idle $(mib "$ii") MiB," \
      "with $image_cache_count images of $image_layers layers cached (one base of $((image_layers - 1)))" \
      "$(mib "$ia") MiB:" \
      "$(or_na "$ip") bytes/image$([[ $(result memory_image.evicted) != 1 ]] || echo " (SOME WERE EVICTED)");" \
      "each of the last $((image_cache_count - image_cache_count / 2)):" \
      "$(or_na "$(result memory_image.marginal)") bytes/image"
    echo "      cache gauges: $(or_na "$(result memory_image.cache_bytes)") bytes in" \
      "$(or_na "$(result memory_image.cache_entries)") entries (images and layers):" \
      "$(or_na "$(result memory_image.cache_per_image)") bytes/image"
  fi
  if wanted startup; then
    echo "start-up, exec to first accepted connection (20 runs): median $(or_na "$(result startup.median)") ms," \
      "max $(or_na "$(result startup.max)") ms"
  fi
  if wanted proxy; then
    echo "proxy, a $proxy_mib MiB layer from an nginx gateway ($rounds rounds; best MiB/s, lowest CPU" \
      "s/GiB): ocipfsd --blobs=proxy $(or_na "$(best proxy.ocipfsd.mibs)") MiB/s," \
      "$(or_na "$(lowest proxy.ocipfsd.cpu)") s/GiB; nginx proxy_pass (unverified)" \
      "$(or_na "$(best proxy.nginx.mibs)") MiB/s, $(or_na "$(lowest proxy.nginx.cpu)") s/GiB;" \
      "sha256 alone (openssl) $(or_na "$(result proxy.sha256_cpu)") s/GiB"
    echo "proxy, $proxy_concurrent concurrent downloads of different $proxy_small_mib MiB layers: VmRSS" \
      "idle $(mib "$(result proxy.idle_kib)") MiB, peak $(mib "$(result proxy.peak_kib)") MiB:" \
      "$(or_na "$(result proxy.per_transfer_kib)") KiB per transfer"
  fi

  local throughput p99_o p99_n registry_ratio
  throughput=$(ratio "$(result ocipfsd.manifest_get.rps)" "$(result nginx.manifest_get.rps)")
  p99_o=$(result ocipfsd.manifest_get.p99)
  p99_n=$(result nginx.manifest_get.p99)
  registry_ratio=$(ratio "$(result ocipfsd.manifest_get.rps)" "$(result registry.manifest_get.rps)")
  echo
  echo "targets:"
  printf '  %-54s %-22s %s\n' \
    "warm manifest GET throughput >= 1.0x nginx" "${throughput}x" "$(verdict "$throughput" '>=' 1.0)" \
    "warm manifest GET CPU/req <= nginx's (nginx/ocipfsd >= 1)" "$(ratio "$(result nginx.manifest_get.cpu)" \
      "$(result ocipfsd.manifest_get.cpu)")x" "$(verdict "$(ratio "$(result nginx.manifest_get.cpu)" \
      "$(result ocipfsd.manifest_get.cpu)")" '>=' 1.0)" \
    "warm manifest GET p99 <= nginx's" "$(or_na "$p99_o") vs $(or_na "$p99_n") ms" \
    "$(verdict "$(ratio "$p99_o" "$p99_n")" '<=' 1.0)" \
    "warm manifest GET throughput >= 20x registry 2.8" "${registry_ratio}x" \
    "$(verdict "$registry_ratio" '>=' 20)" \
    "idle RSS < 10 MiB" "$idle_mib MiB" "$(verdict "$idle_mib" '<' 10)" \
    "<= 2 KiB (2048 bytes) per cached image" "$(or_na "$per") bytes" "$(verdict "$per" '<=' 2048)" \
    "exactly 1 gateway fetch for $cold_concurrency cold requests" "$(or_na "$(result cold.fetches)")" \
    "$(verdict "$(result cold.fetches)" '==' 1)" \
    "start-up, exec to serving: median < 50 ms" "$(or_na "$(result startup.median)") ms" \
    "$(verdict "$(result startup.median)" '<' 50)"
  # One fetch per distinct CID: the expected total, and no CID twice.
  local fetches once
  fetches=$(result cold_image.fetches)
  once=$fetches
  [[ -z $fetches || $(result cold_image.most) == 1 ]] || once=-1
  printf '  %-54s %-22s %s\n' \
    "cold $image_layers-layer image: 1 fetch per distinct CID ($((1 + image_layers)))" \
    "$(or_na "$fetches") (most/CID $(or_na "$(result cold_image.most)"))" \
    "$(verdict "$once" '==' $((1 + image_layers)))" \
    "cold image first manifest byte <= $image_bound_ms ms (max)" \
    "$(or_na "$(result cold_image.first_byte_max)") ms" \
    "$(verdict "$(result cold_image.first_byte_max)" '<=' "$image_bound_ms")"
  printf '  %-54s %-22s %s\n' \
    "hedged cold p99 <= hedge + fast + 100 ms ($hedge_bound_ms ms)" \
    "$(or_na "$(result hedge.p99)") ms" "$(verdict "$(result hedge.p99)" '<=' "$hedge_bound_ms")"
  # A warm image answer costs what a layer answer costs: CPU per request within 1.25x of the layer
  # row's (HEAD, the 302 and the 304 send the same bytes; the manifest and config GETs send more).
  # Each against its nginx, for context.
  local image_layer image_vs layer_vs
  for route in "${routes[@]}"; do
    label=${route_label[$route]}
    image_layer=$(ratio "$(result "ocipfsd.image_$route.cpu")" "$(result "ocipfsd.$route.cpu")")
    image_vs=$(ratio "$(result "nginx.image_$route.cpu")" "$(result "ocipfsd.image_$route.cpu")")
    layer_vs=$(ratio "$(result "nginx.$route.cpu")" "$(result "ocipfsd.$route.cpu")")
    printf '  %-54s %-22s %s\n' "warm image $label CPU/req <= 1.25x layer row's" \
      "${image_layer}x" "$(verdict "$image_layer" '<=' 1.25)  (nginx/ocipfsd CPU: image ${image_vs}x, layer ${layer_vs}x)"
  done
  # The one-image rows against the floor: within 1.1x of it on every route, by CPU per request.
  local of nf kind
  for prefix in "" image_; do
    kind=layer
    [[ -z $prefix ]] || kind=image
    for route in "${routes[@]}"; do
      of=$(ratio "$(result "ocipfsd.$prefix$route.cpu")" "$(result "floor.$prefix$route.cpu")")
      nf=$(ratio "$(result "nginx.$prefix$route.cpu")" "$(result "floor.$prefix$route.cpu")")
      printf '  %-54s %-22s %s\n' "$kind ${route_label[$route]} CPU/req <= 1.1x the floor's" \
        "${of}x" "$(verdict "$of" '<=' 1.1)  (nginx/floor ${nf}x)"
    done
  done
  # Many images: within 1.25x of the one-image row of the same ocipfsd, by CPU per request; the
  # memory per cached image; the default --cache-size holds at least 80,000 of them.
  local many_cpu large_cpu marginal=""
  many_cpu=$(ratio "$(result many.all.cpu)" "$(result many.one.cpu)")
  # What one more cached image costs: the two ocipfsds start alike, so the difference of their
  # resident sets leaves out what a process holds whatever it caches (threads' arenas, buffers).
  if [[ -n $(result many.large.after_kib) && -n $(result many.small.after_kib) ]] &&
    ((many_large_count > many_count)); then
    marginal=$((($(result many.large.after_kib) - $(result many.small.after_kib)) * 1024 /
      (many_large_count - many_count)))
  fi
  large_cpu=$(ratio "$(result many.large.cpu)" "$(result many.large_one.cpu)")
  printf '  %-54s %-22s %s\n' \
    "$many_count images: CPU/req <= 1.25x one image's" "${many_cpu}x" "$(verdict "$many_cpu" '<=' 1.25)" \
    "$many_large_count images: CPU/req <= 1.25x one image's" "${large_cpu}x" \
    "$(verdict "$large_cpu" '<=' 1.25)  (--cache-size $(or_na "$(result many.large_cache)"))" \
    "$many_count images stay cached at the default --cache-size" \
    "$(or_na "$(result many.refetched)") refetches" "$(verdict "$(result many.refetched)" '==' 0)" \
    "<= 1.5 KB (1536 bytes) per cached image, $many_large_count images" \
    "$(or_na "$(result many.large.per_image)") bytes" "$(verdict "$(result many.large.per_image)" '<=' 1536)" \
    "<= 1.5 KB (1536 bytes) per image past the first $many_count" "$(or_na "$marginal") bytes" \
    "$(verdict "$marginal" '<=' 1536)  ($many_count images: $(or_na "$(result many.small.per_image)") bytes each, fixed costs included)"
  printf '  %-54s %-22s %s\n' "the default --cache-size holds >= 80,000 layer images" \
    "$(or_na "$(result many.default_entries)") images" "$(verdict "$(result many.default_entries)" '>=' 80000)"
  if wanted zipf; then
    printf '  %-54s %-22s %s\n' "Zipf pulls: CPU/req against nginx (reported)" \
      "$(ratio "$(result zipf.nginx.cpu)" "$(result zipf.ocipfsd.cpu)")x nginx/o" "-"
  fi
  if wanted proxy; then
    local proxied
    proxied=$(ratio "$(best proxy.ocipfsd.mibs)" "$(best proxy.nginx.mibs)")
    printf '  %-54s %-22s %s\n' "proxied $proxy_mib MiB layer >= 0.8x nginx proxy_pass" \
      "${proxied}x" "$(verdict "$proxied" '>=' 0.8)" \
      "memory per concurrent proxied transfer <= 1024 KiB" \
      "$(or_na "$(result proxy.per_transfer_kib)") KiB" \
      "$(verdict "$(result proxy.per_transfer_kib)" '<=' 1024)"
  fi
  if wanted memory-image; then
    printf '  %-54s %-22s %s\n' "memory per cached $image_layers-layer image (reported)" \
      "$(or_na "$(result memory_image.per_image)") bytes" "-" \
      "  of which each one more, once the hot tier is full" \
      "$(or_na "$(result memory_image.marginal)") bytes" "-"
  fi
}

echo "ocipfs benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'); $(git -C "$repo" rev-parse --short HEAD 2>/dev/null ||
  echo "no git")$(git -C "$repo" diff --quiet HEAD 2>/dev/null || echo " (with local changes)")"
echo "$(nproc) CPUs: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1); Linux $(uname -r);" \
  "load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$("$ocipfsd" --version); $(nginx -v 2>&1 | sed 's/.*: //'); docker-registry $(docker-registry --version |
  awk '{print $NF}'); $(wrk -v 2>&1 | head -1 | awk '{print $1, $2}')"

for name in "${all_parts[@]}"; do
  if wanted "$name"; then
    case $name in
      many) part many many_images ;;
      *) part "$name" "${name//-/_}" ;;
    esac
  fi
done
# A run of some parts prints no target of the others.
if [[ -n ${BENCH_PARTS:-} ]]; then summary | { grep -v 'NOT RUN' || true; }; else summary; fi
if [[ -s $work/failed ]]; then
  log "could not run: $(sort -u "$work/failed" | tr '\n' ' ')(BENCH_KEEP=1 keeps the logs)"
  exit 1
fi
