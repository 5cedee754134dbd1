#include "ocipfs/gateway/health.hpp"

#include <algorithm>
#include <numeric>

namespace ocipfs {

namespace {
constexpr auto max_backoff = std::chrono::seconds(60);
constexpr auto max_retry_after = std::chrono::hours(1);
}  // namespace

GatewayHealth::GatewayHealth(std::size_t gateways) : states_(gateways) {}

std::vector<std::size_t> GatewayHealth::order(Clock::time_point now) const {
  std::vector<std::size_t> out(states_.size());
  std::iota(out.begin(), out.end(), 0);
  std::lock_guard lock(mutex_);
  std::stable_sort(out.begin(), out.end(), [&](std::size_t a, std::size_t b) {
    auto key = [&](std::size_t i) {
      auto at = states_[i].available_at;
      return at <= now ? Clock::time_point{} : at;
    };
    return key(a) < key(b);
  });
  return out;
}

void GatewayHealth::succeeded(std::size_t gateway) {
  std::lock_guard lock(mutex_);
  auto& state = states_.at(gateway);
  state.failures = 0;
  state.available_at = {};
  state.last_success = Clock::now();
}

unsigned GatewayHealth::failed(std::size_t gateway, Clock::time_point now,
                               std::chrono::seconds retry_after) {
  std::lock_guard lock(mutex_);
  auto& state = states_.at(gateway);
  state.failures = std::min(state.failures + 1, 1000u);
  std::chrono::seconds backoff{1u << std::min(state.failures - 1, 6u)};
  backoff = std::min<std::chrono::seconds>(backoff, max_backoff);
  if (retry_after.count() > 0)
    backoff = std::min<std::chrono::seconds>(retry_after, max_retry_after);
  state.available_at = now + backoff;
  return state.failures;
}

bool GatewayHealth::answered_since(Clock::time_point since) const {
  std::lock_guard lock(mutex_);
  return std::any_of(states_.begin(), states_.end(), [&](const State& state) {
    return state.last_success >= since && state.last_success != Clock::time_point{};
  });
}

void GatewayHealth::observed_latency(std::size_t gateway, Clock::duration took) {
  std::lock_guard lock(mutex_);
  states_.at(gateway).latency.observe(took);
}

LatencyEstimate GatewayHealth::latency(std::size_t gateway) const {
  std::lock_guard lock(mutex_);
  return states_.at(gateway).latency;
}

}  // namespace ocipfs
