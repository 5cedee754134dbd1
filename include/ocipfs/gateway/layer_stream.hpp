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
#include <string>
#include <vector>

#include "ocipfs/base/budget.hpp"
#include "ocipfs/base/digest.hpp"
#include "ocipfs/base/expected.hpp"
#include "ocipfs/base/registry_error.hpp"
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
  // until its stream goes, and waits at most `slot_wait` for it.
  LayerStreams(GatewayClient& client, std::vector<HttpUrl> gateways, std::vector<bool> trustless,
               GatewayHealth& health, Budget& transfers, std::chrono::milliseconds slot_wait);

  // Starts a transfer of `layer`: a slot, then the first gateway (in health order) that answers
  // 2xx. The stream reads the rest: each piece is hashed before it is given out, and the last one
  // only once the whole layer matches its digest; from a trustless gateway, each block is proven
  // against its CID before any of its bytes is given out (gateway/layer_answer.hpp in src). A
  // gateway that fails, stalls past its timeout, ends early or sends a block that is not the
  // one due is left for the next one, asked for the rest from the offset reached (a Range, or
  // entity-bytes from a trustless gateway). The stream fails (its connection is then aborted) when
  // no gateway can finish, or when the bytes do not match the digest. Errors: 503 when no slot was
  // free within `slot_wait`; the failover's verdict (404 BLOB_UNKNOWN when no gateway has it, 502,
  // 504) when no gateway answered.
  boost::asio::awaitable<Expected<std::unique_ptr<BodyStream>, RegistryError>> open(
      LayerBytes layer) override;

 private:
  friend class LayerStream;
  GatewayClient& client_;
  std::vector<HttpUrl> gateways_;
  std::vector<bool> trustless_;  // as many as gateways_
  GatewayHealth& health_;
  Budget& transfers_;
  std::chrono::milliseconds slot_wait_;
};

}  // namespace ocipfs
