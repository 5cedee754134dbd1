// Per-gateway health, shared by all threads: gateways that keep failing are tried last for a while.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

#include "ocipfs/gateway/hedge.hpp"

namespace ocipfs {

class GatewayHealth {
 public:
  using Clock = std::chrono::steady_clock;

  explicit GatewayHealth(std::size_t gateways);

  // The order to try the gateways in: those not backing off in configured order, then those
  // backing off, soonest available first.
  std::vector<std::size_t> order(Clock::time_point now) const;

  // A verified answer: the gateway is healthy again.
  void succeeded(std::size_t gateway);
  // A failure: back off exponentially (1 s doubling to 60 s), or for `retry_after` when the
  // gateway asked for it (429). Returns the failures in a row.
  unsigned failed(std::size_t gateway, Clock::time_point now,
                  std::chrono::seconds retry_after = std::chrono::seconds{0});

  bool answered_since(Clock::time_point since) const;  // any success since `since`

  // A successful fetch took `took`: it feeds the gateway's latency estimate (gateway/hedge.hpp).
  void observed_latency(std::size_t gateway, Clock::duration took);
  LatencyEstimate latency(std::size_t gateway) const;  // a copy of the gateway's estimate

 private:
  struct State {
    unsigned failures = 0;
    Clock::time_point available_at{};
    Clock::time_point last_success{};
    LatencyEstimate latency;
  };
  mutable std::mutex mutex_;
  std::vector<State> states_;
};

}  // namespace ocipfs
