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

#include "ocipfs/fetch_result.hpp"
#include "ocipfs/lru_cache.hpp"
#include "ocipfs/route.hpp"

namespace ocipfs {

class Histogram {
 public:
  // Upper bounds in seconds, from 0.5 ms to 30 s.
  static constexpr std::array<double, 14> bounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                    0.1,    0.25,  0.5,    1,     2.5,  10,    30};
  void observe(std::chrono::nanoseconds duration);
  // Appends the _bucket, _sum and _count lines of `name` with `labels` (e.g. `route="blob"`).
  void render(std::string& out, const std::string& name, const std::string& labels) const;
  std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }

 private:
  std::array<std::atomic<std::uint64_t>, bounds.size() + 1> buckets_{};
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_nanos_{0};
};

class Metrics {
 public:
  explicit Metrics(std::vector<std::string> gateways);

  // A request answered; its label is its route's ("health" for /healthz and /readyz, "other"
  // for unknown paths).
  void request_done(RouteKind route, unsigned status, std::chrono::nanoseconds duration);
  void fetch_succeeded(std::size_t gateway, std::chrono::nanoseconds duration);
  void fetch_failed(std::size_t gateway, FetchFault fault, std::chrono::nanoseconds duration);

  std::atomic<std::int64_t> in_flight{0};
  std::atomic<std::int64_t> connections{0};
  std::atomic<std::uint64_t> refused_connections{0};     // over --max-connections
  std::atomic<std::uint64_t> hedges_started{0};          // fetches that also asked the next gateway
  std::atomic<std::uint64_t> hedges_won{0};              // ... whose answer came from that gateway
  std::atomic<std::int64_t> fetches_in_flight{0};        // gateway sockets in use (fetch_slots.hpp)
  std::atomic<std::int64_t> fetches_waiting{0};          // fetches waiting for a slot
  std::atomic<std::uint64_t> fetches_refused{0};         // ... that waited past their deadline
  std::atomic<std::int64_t> document_memory_bytes{0};    // leased of --document-memory
  std::atomic<std::int64_t> document_memory_waiting{0};  // documents waiting for room
  std::atomic<std::uint64_t> document_memory_refused{0};  // ... that waited past their deadline
  std::atomic<std::uint64_t> warnings_suppressed{0};      // repeated warnings not logged

  // The whole exposition. `images` and `documents` are the caches' current figures.
  std::string render(const CacheStats& images, const CacheStats& documents) const;

 private:
  static constexpr std::array<unsigned, 13> statuses = {200, 302, 304, 400, 404, 405, 414,
                                                        431, 500, 502, 503, 504, 0};
  static std::size_t status_index(unsigned status);
  static constexpr std::size_t route_labels = 8;
  static constexpr std::size_t outcomes = fetch_fault_count + 1;  // "ok", then every fault
  void fetch_done(std::size_t gateway, std::size_t outcome, std::chrono::nanoseconds duration);
  void render_requests(std::string& out) const;
  void render_fetches(std::string& out) const;
  void render_fetch_slots(std::string& out) const;

  std::vector<std::string> gateways_;
  std::array<std::array<std::atomic<std::uint64_t>, statuses.size()>, route_labels> requests_{};
  std::array<Histogram, route_labels> durations_{};
  std::vector<std::array<std::atomic<std::uint64_t>, outcomes>> fetches_;
  std::vector<Histogram> fetch_durations_;
};

}  // namespace ocipfs
