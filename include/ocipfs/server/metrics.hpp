// Counters and histograms for /metrics (Prometheus text format): lock-free, shared by all threads.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "ocipfs/base/prometheus.hpp"
#include "ocipfs/cache/lru_cache.hpp"
#include "ocipfs/gateway/fetch_metrics.hpp"
#include "ocipfs/http/route.hpp"

namespace ocipfs {

class Metrics {
 public:
  explicit Metrics(std::vector<std::string> gateways);

  // A request answered; its label is its route's ("health" for /healthz and /readyz, "other"
  // for unknown paths).
  void request_done(RouteKind route, unsigned status, std::chrono::nanoseconds duration);

  std::atomic<std::int64_t> in_flight{0};
  std::atomic<std::int64_t> connections{0};
  std::atomic<std::uint64_t> refused_connections{0};      // over --max-connections
  std::atomic<std::int64_t> document_memory_bytes{0};     // leased of --document-memory
  std::atomic<std::int64_t> document_memory_waiting{0};   // documents waiting for room
  std::atomic<std::uint64_t> document_memory_refused{0};  // ... that waited past their deadline
  FetchMetrics fetches;                                   // the gateway fetcher's

  // The whole exposition. `images` and `documents` are the caches' current figures.
  std::string render(const CacheStats& images, const CacheStats& documents) const;

 private:
  static constexpr std::array<unsigned, 13> statuses = {200, 302, 304, 400, 404, 405, 414,
                                                        431, 500, 502, 503, 504, 0};
  static std::size_t status_index(unsigned status);
  static constexpr std::size_t route_labels = 9;
  void render_requests(std::string& out) const;
  void render_document_memory(std::string& out) const;

  std::array<std::array<std::atomic<std::uint64_t>, statuses.size()>, route_labels> requests_{};
  std::array<prometheus::Histogram, route_labels> durations_{};
};

}  // namespace ocipfs
