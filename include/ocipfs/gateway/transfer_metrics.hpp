// What the layer transfers through ocipfsd (--blobs=proxy) came to, for /metrics: how each ended,
// the bytes proven and given, the gateways left mid-transfer, and the --max-blob-transfers slots.
// Lock-free, shared by all threads.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

#include "ocipfs/base/budget.hpp"

namespace ocipfs {

// How a transfer that started (a gateway answered) ended.
enum class TransferEnd {
  complete,   // every byte given, proven
  aborted,    // no gateway could finish, or the bytes were not the layer: the connection reset
  abandoned,  // the client went away first
};
inline constexpr std::size_t transfer_end_count = 3;

class TransferMetrics {
 public:
  void ended(TransferEnd how) {
    ends_[static_cast<std::size_t>(how)].fetch_add(1, std::memory_order_relaxed);
  }
  // The gauges the --max-blob-transfers budget keeps up to date.
  Budget::Gauges slot_gauges() { return {&in_flight, &waiting, &refused}; }

  std::atomic<std::uint64_t> bytes{0};      // layer bytes proven and given to clients
  std::atomic<std::uint64_t> handovers{0};  // gateways left mid-transfer for the next one
  std::atomic<std::int64_t> in_flight{0};   // transfers under way
  std::atomic<std::int64_t> waiting{0};     // transfers waiting for a slot
  std::atomic<std::uint64_t> refused{0};    // ... that waited past their deadline (503)

  // Appends the ocipfs_blob_* families.
  void render(std::string& out) const;

 private:
  std::array<std::atomic<std::uint64_t>, transfer_end_count> ends_{};
};

}  // namespace ocipfs
