// What the gateway fetches came to, for /metrics: outcomes and durations by gateway, hedges,
// fetch slots, throttled warnings. Lock-free, shared by all threads.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ocipfs/base/budget.hpp"
#include "ocipfs/base/prometheus.hpp"
#include "ocipfs/gateway/fetch_result.hpp"

namespace ocipfs {

class FetchMetrics {
 public:
  // `gateways` are the label values, indexed like the fetcher's gateways.
  explicit FetchMetrics(std::vector<std::string> gateways);

  // A gateway's answer; an index past the gateways is ignored.
  void fetch_succeeded(std::size_t gateway, std::chrono::nanoseconds duration);
  void fetch_failed(std::size_t gateway, FetchFault fault, std::chrono::nanoseconds duration);
  // The gauges a FetchSlots budget keeps up to date.
  Budget::Gauges slot_gauges() { return {&in_flight, &waiting, &refused}; }

  std::atomic<std::uint64_t> hedges_started{0};  // fetches that also asked the next gateway
  std::atomic<std::uint64_t> hedges_won{0};      // ... whose answer came from that gateway
  std::atomic<std::int64_t> in_flight{0};        // gateway sockets in use (gateway/fetch_slots.hpp)
  std::atomic<std::int64_t> waiting{0};          // fetches waiting for a slot
  std::atomic<std::uint64_t> refused{0};         // ... that waited past their deadline
  std::atomic<std::uint64_t> warnings_suppressed{0};  // repeated failures not logged

  // Appends the ocipfs_gateway_* families and ocipfs_log_warnings_suppressed_total.
  void render(std::string& out) const;

 private:
  static constexpr std::size_t outcomes = fetch_fault_count + 1;  // "ok", then every fault
  void fetch_done(std::size_t gateway, std::size_t outcome, std::chrono::nanoseconds duration);
  void render_slots(std::string& out) const;

  std::vector<std::string> gateways_;
  std::vector<std::array<std::atomic<std::uint64_t>, outcomes>> fetches_;
  std::vector<prometheus::Histogram> durations_;
};

}  // namespace ocipfs
