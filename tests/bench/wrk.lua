-- wrk script for tests/bench/run.sh: one fixed request, and a machine-readable result line.
--   BENCH_METHOD         GET (default) or HEAD
--   BENCH_ACCEPT         the Accept header, if set
--   BENCH_IF_NONE_MATCH  the If-None-Match header, if set (the 304 rows)
-- There is no request() or response() function: wrk sends one prebuilt request and runs no Lua
-- per request, so the client costs the same for every server. (Rows that cycle over many paths
-- go through ocipfs_bench load, as HEAD does.)
wrk.method = os.getenv("BENCH_METHOD") or "GET"
local accept = os.getenv("BENCH_ACCEPT")
if accept and accept ~= "" then
  wrk.headers["Accept"] = accept
end
local if_none_match = os.getenv("BENCH_IF_NONE_MATCH")
if if_none_match and if_none_match ~= "" then
  wrk.headers["If-None-Match"] = if_none_match
end

-- Latencies are in microseconds, durations too. status counts answers >= 400.
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "wrk-result requests=%d duration_us=%d p50_us=%.1f p99_us=%.1f max_us=%.1f " ..
    "connect=%d read=%d write=%d status=%d timeout=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
