-- wrk script for tests/load/soak.sh: rotates over the warm requests a docker pull makes, checks
-- every answer, and prints one machine-readable result line.
--   SOAK_REPO      /v2/layer/<cid>
--   SOAK_INDEX     the index's digest (the answer to the tag, with docker's Accept header)
--   SOAK_MANIFEST  the linux/amd64 manifest's digest
--   SOAK_CONFIG    the config blob's digest
--   SOAK_LAYER     the layer blob's digest (answered with a 302)
local repo = os.getenv("SOAK_REPO")
local oci_index = "application/vnd.oci.image.index.v1+json"
local oci_manifest = "application/vnd.oci.image.manifest.v1+json"
local accept_all = oci_index .. ", " .. oci_manifest ..
  ", application/vnd.docker.distribution.manifest.list.v2+json" ..
  ", application/vnd.docker.distribution.manifest.v2+json"

local requests = {}
local known = {}
for _, name in ipairs({"SOAK_INDEX", "SOAK_MANIFEST", "SOAK_CONFIG", "SOAK_LAYER"}) do
  known[os.getenv(name)] = true
end

-- Per thread (each wrk thread has its own Lua state); summed in done().
answers = 0
unexpected = 0     -- a status other than 200 or 302
wrong_digest = 0   -- a Docker-Content-Digest that is none of the image's
missing_digest = 0 -- a manifest or blob answer without one

init = function(args)
  requests = {
    wrk.format("GET", repo .. "/manifests/latest", {["Accept"] = accept_all}),
    wrk.format("GET", repo .. "/manifests/" .. os.getenv("SOAK_MANIFEST"), {["Accept"] = oci_manifest}),
    wrk.format("GET", repo .. "/blobs/" .. os.getenv("SOAK_CONFIG"), {}),
    wrk.format("GET", repo .. "/blobs/" .. os.getenv("SOAK_LAYER"), {}),
    wrk.format("GET", "/v2/", {}),
  }
end

local next_request = 0
request = function()
  next_request = next_request % #requests + 1
  return requests[next_request]
end

response = function(status, headers, body)
  answers = answers + 1
  if status ~= 200 and status ~= 302 then
    unexpected = unexpected + 1
    return
  end
  local digest = headers["Docker-Content-Digest"]
  if digest == nil then
    -- /v2/ alone has none: it answers {} with the API version header.
    if body ~= "{}" then missing_digest = missing_digest + 1 end
  elseif not known[digest] then
    wrong_digest = wrong_digest + 1
  end
end

local threads = {}
setup = function(thread)
  table.insert(threads, thread)
end

-- Latencies and durations are in microseconds. status counts answers >= 400 (wrk's own check).
done = function(summary, latency, requests)
  local checked, bad_status, bad_digest, no_digest = 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    checked = checked + thread:get("answers")
    bad_status = bad_status + thread:get("unexpected")
    bad_digest = bad_digest + thread:get("wrong_digest")
    no_digest = no_digest + thread:get("missing_digest")
  end
  local e = summary.errors
  io.write(string.format(
    "soak-result requests=%d duration_us=%d p50_us=%.1f p99_us=%.1f max_us=%.1f " ..
    "connect=%d read=%d write=%d status=%d timeout=%d checked=%d unexpected=%d " ..
    "wrong_digest=%d missing_digest=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, e.connect, e.read, e.write, e.status, e.timeout, checked, bad_status,
    bad_digest, no_digest))
end
