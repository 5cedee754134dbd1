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

#include "ocipfs/image_cache.hpp"

namespace ocipfs {

// Which kind of request was answered, for labels.
enum class RouteLabel { base, manifest, blob, tags, referrers, health, metrics, other, count };

// How a gateway fetch ended, for labels.
enum class FetchOutcome {
  ok,
  not_found,
  timeout,
  unreachable,
  bad_status,
  rate_limited,
  garbage,
  too_large,
  bad_redirect,
  mismatch,
  count
};

// The label of a request path: /v2/ routes by kind, the operational endpoints, or other.
RouteLabel route_label(std::string_view path);

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

  void request_done(RouteLabel route, unsigned status, std::chrono::nanoseconds duration);
  void fetch_done(std::size_t gateway, FetchOutcome outcome, std::chrono::nanoseconds duration);

  std::atomic<std::int64_t> in_flight{0};
  std::atomic<std::int64_t> connections{0};
  std::atomic<std::uint64_t> refused_connections{0};  // over --max-connections

  // The whole exposition. `images` and `manifests` are the caches' current figures.
  std::string render(const CacheStats& images, const CacheStats& manifests) const;

 private:
  static constexpr std::array<unsigned, 13> statuses = {200, 302, 304, 400, 404, 405, 414,
                                                        431, 500, 502, 503, 504, 0};
  static std::size_t status_index(unsigned status);

  std::vector<std::string> gateways_;
  std::array<std::array<std::atomic<std::uint64_t>, statuses.size()>,
             static_cast<std::size_t>(RouteLabel::count)>
      requests_{};
  std::array<Histogram, static_cast<std::size_t>(RouteLabel::count)> durations_{};
  std::vector<std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(FetchOutcome::count)>>
      fetches_;
  std::vector<Histogram> fetch_durations_;
};

}  // namespace ocipfs
