// Where a layer's bytes come from when the registry streams them itself (--blobs=proxy): the
// registry asks, the gateways answer (gateway/layer_stream.hpp).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "ocipfs/base/digest.hpp"
#include "ocipfs/base/expected.hpp"
#include "ocipfs/base/registry_error.hpp"
#include "ocipfs/http/byte_ranges.hpp"
#include "ocipfs/http/exchange.hpp"

namespace ocipfs {

// What a transfer fetches and proves.
struct LayerBytes {
  std::string ipfs_path;  // "/ipfs/<root>[/<segment>...]", every segment percent-encoded
  std::string name;       // for messages: "layer sha256:... (<ipfs path>)"
  Sha256 digest{};
  std::uint64_t size = 0;
};

// A stream of a layer's bytes from `first` on: the whole layer (first 0), or a span of it.
struct LayerReading {
  std::unique_ptr<BodyStream> stream;
  std::uint64_t first = 0;
};

class LayerSource {
 public:
  virtual ~LayerSource() = default;
  // The stream of `layer`'s bytes, proven as they pass; or why it could not start (an answer
  // for the client, before any byte is sent). Without `span`, or when no gateway can prove a
  // part of the layer alone, the stream gives the whole layer, whose end waits for the proof of
  // the whole; with `span` (within the layer) and a gateway that proves each block it sends, it
  // gives exactly the span's bytes, each proven before it is given.
  virtual boost::asio::awaitable<Expected<LayerReading, RegistryError>> open(
      LayerBytes layer, std::optional<ByteRange> span) = 0;
};

}  // namespace ocipfs
