// A layer's bytes streamed from the gateways to a client that is not sent to them
// (--blobs=proxy): the plain file from the gateways, proven against the layer's sha256 as it
// passes; a gateway that fails or stalls hands over to the next one at the same offset.
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
  static constexpr std::size_t window_size = 256 * 1024;

  // `gateways` are indexed like `health`. A transfer holds one unit of `transfers` (the
  // process's --max-blob-transfers) from open() until its stream goes, and waits at most
  // `slot_wait` for it.
  LayerStreams(GatewayClient& client, std::vector<HttpUrl> gateways, GatewayHealth& health,
               Budget& transfers, std::chrono::milliseconds slot_wait);

  // Starts a transfer of `layer`: a slot, then the first gateway (in health order) that answers
  // 2xx. The stream reads the rest: each piece is hashed before it is given out, and the last one
  // only once the whole layer matches its digest; a gateway that fails, stalls past its timeout
  // or ends early is left for the next one, asked for the rest with a Range from the offset
  // reached. The stream fails (its connection is then aborted) when no gateway can finish, or
  // when the bytes do not match the digest. Errors: 503 when no slot was free within
  // `slot_wait`; the failover's verdict (404 BLOB_UNKNOWN when no gateway has it, 502, 504)
  // when no gateway answered.
  boost::asio::awaitable<Expected<std::unique_ptr<BodyStream>, RegistryError>> open(
      LayerBytes layer) override;

 private:
  friend class LayerStream;
  GatewayClient& client_;
  std::vector<HttpUrl> gateways_;
  GatewayHealth& health_;
  Budget& transfers_;
  std::chrono::milliseconds slot_wait_;
};

// How many bytes of a gateway's answer to skip to reach `offset` of a layer of `size` bytes,
// asked with a Range from `offset` (none when 0): 206 must say exactly "bytes offset-(size-1)/
// size" (or "/*"), 200 (a gateway that ignores ranges) is read from its start. A Content-Length
// that is not the length expected is an error saying so.
Expected<std::uint64_t> bytes_to_skip(unsigned status, std::string_view content_range,
                                      std::string_view content_length, std::uint64_t offset,
                                      std::uint64_t size);

}  // namespace ocipfs
