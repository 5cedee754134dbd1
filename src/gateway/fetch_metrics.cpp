#include "ocipfs/gateway/fetch_metrics.hpp"

namespace ocipfs {

using namespace prometheus;

namespace {

std::string outcome_name(std::size_t outcome) {
  if (outcome == 0) return "ok";
  return std::string(fault_label(static_cast<FetchFault>(outcome - 1)));
}

}  // namespace

FetchMetrics::FetchMetrics(std::vector<std::string> gateways)
    : gateways_(std::move(gateways)), fetches_(gateways_.size()), durations_(gateways_.size()) {}

void FetchMetrics::fetch_succeeded(std::size_t gateway, std::chrono::nanoseconds duration) {
  fetch_done(gateway, 0, duration);
}

void FetchMetrics::fetch_failed(std::size_t gateway, FetchFault fault,
                                std::chrono::nanoseconds duration) {
  fetch_done(gateway, static_cast<std::size_t>(fault) + 1, duration);
}

void FetchMetrics::fetch_done(std::size_t gateway, std::size_t outcome,
                              std::chrono::nanoseconds duration) {
  if (gateway >= fetches_.size()) return;
  fetches_[gateway][outcome].fetch_add(1, std::memory_order_relaxed);
  durations_[gateway].observe(duration);
}

void FetchMetrics::render(std::string& out) const {
  header(out, "ocipfs_gateway_fetches_total", "counter",
         "Layer manifest fetches, by gateway and outcome.");
  for (std::size_t g = 0; g < fetches_.size(); ++g)
    for (std::size_t o = 0; o < outcomes; ++o)
      sample(out, "ocipfs_gateway_fetches_total",
             "gateway=\"" + label_value(gateways_[g]) + "\",outcome=\"" + outcome_name(o) + "\"",
             fetches_[g][o].load(std::memory_order_relaxed));
  header(out, "ocipfs_gateway_fetch_duration_seconds", "histogram", "Time of one gateway fetch.");
  for (std::size_t g = 0; g < durations_.size(); ++g)
    durations_[g].render(out, "ocipfs_gateway_fetch_duration_seconds",
                         "gateway=\"" + label_value(gateways_[g]) + "\"");
  single(out, "ocipfs_gateway_hedges_total", "counter",
         "Fetches that also asked the next gateway: the first had not answered within "
         "--hedge-after.",
         hedges_started.load(std::memory_order_relaxed));
  single(out, "ocipfs_gateway_hedges_won_total", "counter",
         "Hedged fetches answered by the gateway asked last.",
         hedges_won.load(std::memory_order_relaxed));
  render_slots(out);
}

void FetchMetrics::render_slots(std::string& out) const {
  slot_families(out, "ocipfs_gateway_fetches", "Gateway fetches", "--max-gateway-fetches",
                in_flight.load(), waiting.load(), refused.load());
  single(out, "ocipfs_log_warnings_suppressed_total", "counter",
         "Repeated warnings (gateway failures) held back: a line a second is logged.",
         warnings_suppressed.load());
}

}  // namespace ocipfs
