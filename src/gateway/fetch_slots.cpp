#include "ocipfs/gateway/fetch_slots.hpp"

#include "ocipfs/gateway/fetch_metrics.hpp"

namespace ocipfs {

namespace {
Budget::Gauges gauges_of(FetchMetrics* metrics) {
  if (!metrics) return {};
  return metrics->slot_gauges();
}
}  // namespace

FetchSlots::FetchSlots(std::size_t limit, FetchMetrics* metrics)
    : budget_(limit, gauges_of(metrics)) {}

}  // namespace ocipfs
