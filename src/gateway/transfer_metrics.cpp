#include "ocipfs/gateway/transfer_metrics.hpp"

#include "ocipfs/base/prometheus.hpp"

namespace ocipfs {

using namespace prometheus;

namespace {

constexpr std::array<const char*, transfer_end_count> end_labels = {"complete", "aborted",
                                                                    "abandoned"};

}  // namespace

void TransferMetrics::render(std::string& out) const {
  header(out, "ocipfs_blob_transfers_total", "counter",
         "Layer downloads streamed through ocipfsd (--blobs=proxy), by how they ended.");
  for (std::size_t i = 0; i < transfer_end_count; ++i)
    sample(out, "ocipfs_blob_transfers_total", std::string("outcome=\"") + end_labels[i] + "\"",
           ends_[i].load(std::memory_order_relaxed));
  single(out, "ocipfs_blob_bytes_total", "counter",
         "Layer bytes sent to clients through ocipfsd (--blobs=proxy).",
         bytes.load(std::memory_order_relaxed));
  single(out, "ocipfs_blob_handovers_total", "counter",
         "Gateways left during a layer download (failed, stalled or sent a bad block); the next "
         "one was asked for the rest.",
         handovers.load(std::memory_order_relaxed));
  slot_families(out, "ocipfs_blob_transfers", "Layer downloads", "--max-blob-transfers",
                in_flight.load(), waiting.load(), refused.load());
}

}  // namespace ocipfs
