-- wrk script for tests/bench/run.sh: one fixed request, and a machine-readable result line.
--   BENCH_METHOD         GET (default) or HEAD
--   BENCH_ACCEPT         the Accept header, if set
--   BENCH_IF_NONE_MATCH  the If-None-Match header, if set (the 304 rows)
--   BENCH_PATHS          a file of paths, one a line: each request takes the next, round robin
--                        (the many-images row, and the one-image row it is compared with)
-- Without BENCH_PATHS there is no request() or response() function: wrk then sends one prebuilt
-- request and runs no Lua per request, so the client costs the same for every server. With it,
-- every request runs request(): compare such rows only with each other.
wrk.method = os.getenv("BENCH_METHOD") or "GET"
local accept = os.getenv("BENCH_ACCEPT")
if accept and accept ~= "" then
  wrk.headers["Accept"] = accept
end
local if_none_match = os.getenv("BENCH_IF_NONE_MATCH")
if if_none_match and if_none_match ~= "" then
  wrk.headers["If-None-Match"] = if_none_match
end

local paths_file = os.getenv("BENCH_PATHS")
if paths_file and paths_file ~= "" then
  local requests = {}
  for path in io.lines(paths_file) do
    if path ~= "" then
      requests[#requests + 1] = wrk.format(nil, path)
    end
  end
  local next_request = 0
  request = function()
    next_request = next_request % #requests + 1
    return requests[next_request]
  end
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
