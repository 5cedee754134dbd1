// When a fetch also asks the next gateway (a hedge): the --hedge-after policy, and the latency
// estimate of a gateway that the automatic delay follows. Pure: no clock, no locks, no sockets.
#pragma once

#include <chrono>
#include <optional>

namespace ocipfs {

struct HedgePolicy {
  enum class Mode {
    off,        // --hedge-after=off or 0: one gateway at a time, as without hedging
    automatic,  // --hedge-after=auto: from the preferred gateway's recent latency
    fixed,      // --hedge-after=DURATION
  };
  Mode mode = Mode::automatic;
  std::chrono::milliseconds after{0};  // fixed: the delay
  // automatic: the delay is kept within [floor, ceiling] (the ceiling wins if they cross), and
  // is `initial` until the gateway has answered once. The configuration sets the ceiling to half
  // the gateway timeout.
  std::chrono::milliseconds floor{100};
  std::chrono::milliseconds ceiling{15'000};
  std::chrono::milliseconds initial{500};
};

// A decaying estimate of one gateway's successful fetch latency: Jacobson's estimator (as TCP's
// RTO, RFC 6298): an EWMA of the latency (gain 1/8) and of its absolute deviation (gain 1/4).
class LatencyEstimate {
 public:
  void observe(std::chrono::nanoseconds latency);  // one successful fetch; negative counts as 0
  bool empty() const { return samples_ == 0; }
  std::chrono::nanoseconds mean() const { return mean_; }
  std::chrono::nanoseconds deviation() const { return deviation_; }
  // mean + 2 × deviation: about the 90th to 95th percentile of a steady gateway's latency; twice
  // the first sample. Zero when empty.
  std::chrono::nanoseconds high() const { return mean_ + 2 * deviation_; }

 private:
  unsigned long samples_ = 0;
  std::chrono::nanoseconds mean_{0};
  std::chrono::nanoseconds deviation_{0};
};

// How long a fetch waits for the preferred gateway (whose estimate is `preferred`) before it
// asks the next one too; nullopt when hedging is off. Fixed: policy.after. Automatic:
// preferred.high() (policy.initial when empty), rounded up to a millisecond, kept within
// [policy.floor, policy.ceiling].
std::optional<std::chrono::milliseconds> hedge_delay(const HedgePolicy& policy,
                                                     const LatencyEstimate& preferred);

}  // namespace ocipfs
