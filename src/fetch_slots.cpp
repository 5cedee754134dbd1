#include "ocipfs/fetch_slots.hpp"

#include "ocipfs/metrics.hpp"

namespace ocipfs {

namespace {
Budget::Gauges gauges_of(Metrics* metrics) {
  if (!metrics) return {};
  return {&metrics->fetches_in_flight, &metrics->fetches_waiting, &metrics->fetches_refused};
}
}  // namespace

FetchSlots::FetchSlots(std::size_t limit, Metrics* metrics) : budget_(limit, gauges_of(metrics)) {}

}  // namespace ocipfs
