// A layer's bytes streamed from the gateways to a client that is not sent to them
// (--blobs=proxy): the plain file from path gateways, the file's CAR proven block by block from
// trustless ones, and either proven against the layer's sha256 as it passes; a gateway that
// fails, stalls or lies hands over to the next one (of either kind) at the same offset.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ocipfs/base/budget.hpp"
#include "ocipfs/base/digest.hpp"
#include "ocipfs/base/expected.hpp"
#include "ocipfs/base/registry_error.hpp"
#include "ocipfs/gateway/transfer_metrics.hpp"
#include "ocipfs/http/layer_source.hpp"
#include "ocipfs/http/url.hpp"

namespace ocipfs {

class GatewayClient;
class GatewayHealth;

// The transfers of one thread; everything given must outlive it and its streams.
class LayerStreams final : public LayerSource {
 public:
  // The memory a transfer reads the gateway's bytes into, and writes them to the client from.
  static constexpr std::size_t window_size = 1024 * 1024;

  // `gateways` are indexed like `health`, and like `trustless` (missing ones are path gateways).
  // A transfer holds one unit of `transfers` (the process's --max-blob-transfers) from open()
  // until its stream goes, and waits at most `slot_wait` for it. Each transfer that starts is
  // counted in `metrics`: its bytes, its hand-overs and how it ended.
  LayerStreams(GatewayClient& client, std::vector<HttpUrl> gateways, std::vector<bool> trustless,
               GatewayHealth& health, Budget& transfers, std::chrono::milliseconds slot_wait,
               TransferMetrics& metrics);

  // Starts a transfer of `layer`, or of `span` of it: a slot, then the first gateway (in health
  // order) that answers 2xx. The stream reads the rest:
  // - the whole layer (without `span`, or when no gateway is trustless: a path gateway's bytes
  //   are proven only by the whole layer's digest): each piece is hashed before it is given out,
  //   and the last one only once the whole layer matches its digest;
  // - `span` (within the layer) from the trustless gateways only, asked with entity-bytes: each
  //   block is proven against its CID before any of its bytes is given out, and only the blocks
  //   that hold the span are fetched.
  // From a trustless gateway, each block is proven so in either case (gateway/layer_answer.hpp
  // in src). A gateway that fails, stalls past its timeout, ends early or sends a block that is
  // not the one due is left for the next one, asked for the rest from the offset reached (a
  // Range, or entity-bytes from a trustless gateway). The stream fails (its connection is then
  // aborted) when no gateway can finish, or when the bytes do not match the digest. Errors: 503
  // when no slot was free within `slot_wait`; the failover's verdict (404 BLOB_UNKNOWN when no
  // gateway has it, 502, 504) when no gateway answered.
  boost::asio::awaitable<Expected<LayerReading, RegistryError>> open(
      LayerBytes layer, std::optional<ByteRange> span) override;

 private:
  friend class LayerStream;
  // The gateways to try, in health order: all of them, or the trustless ones only.
  std::vector<std::size_t> gateway_order(bool trustless_only) const;

  GatewayClient& client_;
  std::vector<HttpUrl> gateways_;
  std::vector<bool> trustless_;  // as many as gateways_
  GatewayHealth& health_;
  Budget& transfers_;
  std::chrono::milliseconds slot_wait_;
  TransferMetrics& metrics_;
};

}  // namespace ocipfs
