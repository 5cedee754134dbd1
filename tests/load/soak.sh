#!/usr/bin/env bash
# Soak: sustained load on the real ocipfsd, watching for errors and memory growth.
#
# It starts the benchmark's static fake gateway (ocipfs_bench gateway) and ocipfsd on loopback
# ports chosen by the OS, warms one image and checks every answer once, then runs wrk for
# SOAK_SECONDS over the warm requests of a docker pull, in turn: the manifest by tag (docker's
# Accept header), the manifest by digest, the config blob, the layer blob (a 302) and /v2/. The
# wrk script (soak.lua) checks each answer's status and Docker-Content-Digest.
#
# It prints ocipfsd's VmRSS after the warm-up load, every tenth of the run and at the end, the
# requests, requests/s, latencies, socket errors and wrong answers. It fails (exit 1) on any error
# or wrong answer, if ocipfsd dies, if the image is fetched from the gateway again, if the
# connections gauge does not return to idle, or if VmRSS grew by more than max(10%, 8 MiB) from
# after the warm-up to the end.
#
#   bash tests/load/soak.sh
#     BUILD_DIR         build directory with ocipfsd and tests/bench/ocipfs_bench (default ./build)
#     SOAK_SECONDS      length of the measured run (default 300)
#     SOAK_CONNECTIONS  wrk connections (default 64)
#     SOAK_THREADS      wrk threads and ocipfsd threads (default 2)
#     SOAK_KEEP=1       keep the work directory (logs, wrk output)
set -euo pipefail

load_dir="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
repo="$(cd -- "$load_dir/../.." && pwd -P)"
build=${BUILD_DIR:-$repo/build}
seconds=${SOAK_SECONDS:-300}
connections=${SOAK_CONNECTIONS:-64}
threads=${SOAK_THREADS:-2}
ocipfsd=$build/ocipfsd
tool=$build/tests/bench/ocipfs_bench

oci_manifest=application/vnd.oci.image.manifest.v1+json
accept_all="application/vnd.oci.image.index.v1+json, $oci_manifest, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json"

log() { printf 'soak: %s\n' "$*" >&2; }
die() {
  log "FAIL: $*"
  exit 1
}

for value in "$seconds" "$connections" "$threads"; do
  [[ $value =~ ^[1-9][0-9]*$ ]] || die "SOAK_SECONDS, SOAK_CONNECTIONS and SOAK_THREADS are positive whole numbers"
done

bash "$repo/tests/install-deps.sh" only wrk curl jq iproute2
for binary in "$ocipfsd" "$tool"; do
  [[ -x $binary ]] || die "$binary is missing: build first (cmake --build $build)"
done
for command in wrk curl jq ss; do
  command -v "$command" >/dev/null || die "$command is not installed"
done
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

work=$(mktemp -d "${TMPDIR:-/tmp}/ocipfs-soak.XXXXXX")
started=()
cleanup() {
  local pid deadline
  for pid in "${started[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${started[@]}"; do
    deadline=$((SECONDS + 10))
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.05; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [[ ${SOAK_KEEP:-} == 1 ]]; then log "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

running() { kill -0 "$1" 2>/dev/null; }

# wait_for SECONDS PID WHAT COMMAND...: polls COMMAND every 0.05 s until it succeeds; fails when
# PID exits or SECONDS pass.
wait_for() {
  local limit=$1 pid=$2 what=$3 deadline
  shift 3
  deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    running "$pid" || die "$what exited"
    ((SECONDS < deadline)) || die "timed out after ${limit}s waiting for $what"
    sleep 0.05
  done
}

vmrss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
header() { grep -i "^$1:" "$2" | head -1 | sed 's/^[^:]*:[[:space:]]*//' | tr -d '\r'; }
metric() { curl -sS --max-time 10 "$base_url/metrics" | awk -v name="$1" '$1 == name {print $2}'; }

# --- the gateway and ocipfsd ------------------------------------------------------------------

"$tool" gateway --count=1 --port-file="$work/gateway.port" >"$work/gateway.log" 2>&1 </dev/null &
gateway_pid=$!
started+=("$gateway_pid")
gateway_ready() {
  local port
  port=$(cat "$work/gateway.port") && curl -sf --max-time 2 "http://127.0.0.1:$port/_stats"
}
wait_for 30 "$gateway_pid" "the gateway" gateway_ready
gateway=http://127.0.0.1:$(<"$work/gateway.port")
gateway_fetches() { curl -sS --max-time 10 "$gateway/_stats" | awk '/^fetches/ {print $2}'; }

"$ocipfsd" --listen=127.0.0.1:0 --gateway="$gateway" --threads="$threads" --log-level=warn \
  >"$work/ocipfsd.log" 2>&1 </dev/null &
pid=$!
started+=("$pid")
# Its port: the socket it listens on.
listen_port() {
  ss -Hltnp 2>/dev/null |
    awk -v owner="pid=$pid," 'index($0, owner) { n = split($4, a, ":"); print a[n]; exit }' |
    grep -E '^[0-9]+$'
}
wait_for 10 "$pid" ocipfsd listen_port
port=$(listen_port)
base_url=http://127.0.0.1:$port
wait_for 10 "$pid" ocipfsd curl -sf --max-time 2 "$base_url/healthz"

# --- warm the image and check each answer once -------------------------------------------------

cid=$("$tool" cid --index=0)
repo_path=/v2/layer/$cid
# fetch NAME STATUS PATH [CURL_ARGS...]: the answer must have STATUS; saved as NAME.{body,headers}.
fetch() {
  local name=$1 expected=$2 path=$3 code
  shift 3
  code=$(curl -sS --max-time 30 -o "$work/$name.body" -D "$work/$name.headers" \
    -w '%{http_code}' "$@" "$base_url$path")
  [[ $code == "$expected" ]] || die "$path answered $code, not $expected: $(head -c 300 "$work/$name.body")"
}
fetch index 200 "$repo_path/manifests/latest" -H "Accept: $accept_all"
index_digest=$(header Docker-Content-Digest "$work/index.headers")
[[ $index_digest == "sha256:$(sha256sum "$work/index.body" | cut -c1-64)" ]] ||
  die "the index's Docker-Content-Digest is not its sha256"
manifest_digest=$(jq -er 'first(.manifests[] | select(.platform.os == "linux" and
  .platform.architecture == "amd64") | .digest)' "$work/index.body")
fetch manifest 200 "$repo_path/manifests/$manifest_digest" -H "Accept: $oci_manifest"
config_digest=$(jq -er .config.digest "$work/manifest.body")
layer_digest=$(jq -er '.layers[0].digest' "$work/manifest.body")
fetch config 200 "$repo_path/blobs/$config_digest"
fetch layer 302 "$repo_path/blobs/$layer_digest"
[[ -n $(header Location "$work/layer.headers") ]] || die "the layer's 302 has no Location"
fetch base 200 /v2/
fetches_after_warm=$(gateway_fetches)

export SOAK_REPO=$repo_path SOAK_INDEX=$index_digest SOAK_MANIFEST=$manifest_digest \
  SOAK_CONFIG=$config_digest SOAK_LAYER=$layer_digest

# run_wrk SECONDS OUTPUT: wrk over the warm requests, in the background (its pid in wrk_pid).
run_wrk() {
  wrk -t"$threads" -c"$connections" -d"${1}s" -s "$load_dir/soak.lua" "$base_url" \
    >"$2" 2>&1 </dev/null &
  wrk_pid=$!
}
field() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"; }

# A warm-up under the same load, so that the baseline is memory at work, not memory at rest.
warmup=$((seconds / 10))
((warmup >= 3)) || warmup=3
((warmup <= 15)) || warmup=15
log "warm-up: ${warmup}s of wrk -t$threads -c$connections"
run_wrk "$warmup" "$work/warmup.txt"
wait "$wrk_pid" || die "wrk failed during the warm-up: $(tail -5 "$work/warmup.txt")"
grep -q '^soak-result ' "$work/warmup.txt" || die "wrk printed no result: $(tail -5 "$work/warmup.txt")"
running "$pid" || die "ocipfsd died during the warm-up: $(tail -5 "$work/ocipfsd.log")"
rss_start=$(vmrss_kib "$pid")
log "VmRSS after the warm-up: $(mib "$rss_start")"

# --- the soak ---------------------------------------------------------------------------------

log "soak: ${seconds}s of wrk -t$threads -c$connections over 5 warm requests (ocipfsd --threads=$threads)"
cpu_before=$(cpu_ticks "$pid")
run_wrk "$seconds" "$work/soak.txt"
interval=$((seconds / 10))
((interval >= 1)) || interval=1
begun=$SECONDS
next_sample=$((begun + interval))
rss_max=$rss_start
# Sampling, not waiting: one look a second at whether wrk is done, a VmRSS sample per interval.
while running "$wrk_pid"; do
  running "$pid" || die "ocipfsd died during the soak: $(tail -5 "$work/ocipfsd.log")"
  if ((SECONDS >= next_sample)); then
    rss=$(vmrss_kib "$pid")
    ((rss > rss_max)) && rss_max=$rss
    log "$((SECONDS - begun))s: VmRSS $(mib "$rss")"
    next_sample=$((next_sample + interval))
  fi
  sleep 1
done
wrk_status=0
wait "$wrk_pid" || wrk_status=$?
running "$pid" || die "ocipfsd died during the soak: $(tail -5 "$work/ocipfsd.log")"
rss_end=$(vmrss_kib "$pid")
cpu_after=$(cpu_ticks "$pid")
((wrk_status == 0)) || die "wrk failed (exit $wrk_status): $(tail -5 "$work/soak.txt")"
line=$(grep '^soak-result ' "$work/soak.txt") || die "wrk printed no result: $(tail -5 "$work/soak.txt")"

requests=$(field requests "$line")
duration_us=$(field duration_us "$line")
errors=0
for kind in connect read write timeout; do errors=$((errors + $(field "$kind" "$line"))); done
status_errors=$(field status "$line")
unexpected=$(field unexpected "$line")
wrong=$(($(field wrong_digest "$line") + $(field missing_digest "$line")))
checked=$(field checked "$line")
hz=$(getconf CLK_TCK)

# After the load: every connection is gone, and the image never left the cache.
idle_gauge=
for _ in $(seq 1 100); do
  idle_gauge=$(metric ocipfs_open_connections)
  [[ $idle_gauge == 1 ]] && break # the /metrics request itself
  sleep 0.05
done
fetches_end=$(gateway_fetches)

echo
echo "== ocipfsd soak: ${seconds}s, wrk -t$threads -c$connections, ocipfsd --threads=$threads; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg) =="
awk -v r="$requests" -v d="$duration_us" -v c="$checked" -v p50="$(field p50_us "$line")" \
  -v p99="$(field p99_us "$line")" -v max="$(field max_us "$line")" 'BEGIN {
  printf "requests     %d (%d answers checked), %.0f req/s\n", r, c, r / (d / 1e6)
  printf "latency      p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", p50 / 1000, p99 / 1000, max / 1000 }'
echo "errors       socket $errors ($(field connect "$line") connect, $(field read "$line") read," \
  "$(field write "$line") write, $(field timeout "$line") timeout); non-2xx/3xx $status_errors;" \
  "unexpected status $unexpected; wrong or missing digest $wrong"
awk -v t=$((cpu_after - cpu_before)) -v hz="$hz" -v r="$requests" -v s="$seconds" 'BEGIN {
  printf "ocipfsd CPU  %.1f s (%.0f%% of one core), %.1f us per request\n", t / hz, 100 * t / hz / s,
    t / hz * 1e6 / r }'
echo "VmRSS        after warm-up $(mib "$rss_start") ($rss_start KiB), at most $(mib "$rss_max"), at the end $(mib "$rss_end") ($rss_end KiB)"
echo "gateway      $fetches_end fetches (after warming: $fetches_after_warm); open connections after: $idle_gauge"

allowed=$((rss_start / 10))
((allowed >= 8192)) || allowed=8192
failures=()
((requests > 0)) || failures+=("no requests were made")
((errors == 0)) || failures+=("$errors socket errors")
((status_errors == 0)) || failures+=("$status_errors answers were not 2xx or 3xx")
((unexpected == 0)) || failures+=("$unexpected answers had a status other than 200 or 302")
((wrong == 0)) || failures+=("$wrong answers had a wrong or missing Docker-Content-Digest")
((checked == requests)) || failures+=("wrk counted $requests requests but $checked answers")
((rss_end - rss_start <= allowed)) ||
  failures+=("VmRSS grew by $(mib $((rss_end - rss_start))), more than $(mib "$allowed")")
[[ $idle_gauge == 1 ]] || failures+=("ocipfs_open_connections is $idle_gauge after the load, not 1")
[[ $fetches_end == "$fetches_after_warm" ]] ||
  failures+=("the gateway was asked again: $fetches_after_warm fetches after warming, $fetches_end at the end")
if ((${#failures[@]} > 0)); then
  for failure in "${failures[@]}"; do log "FAIL: $failure"; done
  exit 1
fi
echo "PASS: no errors, VmRSS grew by $(mib $((rss_end - rss_start))) (allowed $(mib "$allowed"))"
