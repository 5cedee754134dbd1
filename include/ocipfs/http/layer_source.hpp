// Where a layer's bytes come from when the registry streams them itself (--blobs=proxy): the
// registry asks, the gateways answer (gateway/layer_stream.hpp).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <string>

#include "ocipfs/base/digest.hpp"
#include "ocipfs/base/expected.hpp"
#include "ocipfs/base/registry_error.hpp"
#include "ocipfs/http/exchange.hpp"

namespace ocipfs {

// What a transfer fetches and proves.
struct LayerBytes {
  std::string ipfs_path;  // "/ipfs/<root>[/<segment>...]", every segment percent-encoded
  std::string name;       // for messages: "layer sha256:... (<ipfs path>)"
  Sha256 digest{};
  std::uint64_t size = 0;
};

class LayerSource {
 public:
  virtual ~LayerSource() = default;
  // The stream of `layer`'s bytes, proven as they pass; or why it could not start (an answer
  // for the client, before any byte is sent).
  virtual boost::asio::awaitable<Expected<std::unique_ptr<BodyStream>, RegistryError>> open(
      LayerBytes layer) = 0;
};

}  // namespace ocipfs
