#include "ocipfs/gateway/hedge.hpp"

#include <algorithm>

namespace ocipfs {

void LatencyEstimate::observe(std::chrono::nanoseconds latency) {
  latency = std::max(latency, std::chrono::nanoseconds{0});
  if (samples_++ == 0) {
    mean_ = latency;
    deviation_ = latency / 2;
    return;
  }
  auto error = latency - mean_;
  auto distance = error < error.zero() ? -error : error;
  deviation_ += (distance - deviation_) / 4;
  mean_ += error / 8;
}

std::optional<std::chrono::milliseconds> hedge_delay(const HedgePolicy& policy,
                                                     const LatencyEstimate& preferred) {
  switch (policy.mode) {
    case HedgePolicy::Mode::off:
      return std::nullopt;
    case HedgePolicy::Mode::fixed:
      return policy.after;
    case HedgePolicy::Mode::automatic:
      break;
  }
  auto estimate = preferred.empty()
                      ? policy.initial
                      : std::chrono::ceil<std::chrono::milliseconds>(preferred.high());
  return std::min(std::max(estimate, policy.floor), policy.ceiling);
}

}  // namespace ocipfs
