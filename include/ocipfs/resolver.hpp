// The resolver seam: from a layer manifest CID to a synthesized image, or a registry error.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <string>
#include <vector>

#include "ocipfs/cid.hpp"
#include "ocipfs/expected.hpp"
#include "ocipfs/http_url.hpp"
#include "ocipfs/image.hpp"
#include "ocipfs/registry_error.hpp"

namespace ocipfs {

class GatewayClient;
class GatewayHealth;
struct FetchFailure;

using ImagePtr = std::shared_ptr<const Image>;
using Resolution = Expected<ImagePtr, RegistryError>;

class Resolver {
 public:
  virtual ~Resolver() = default;
  // Resolves `cid` to its image. Errors are ready-made registry answers.
  virtual boost::asio::awaitable<Resolution> resolve(const Cid& cid) = 0;
};

// Fetches the layer manifest from the gateways (healthiest first, the next one when one fails
// or lies), verifies it against the CID, validates it and synthesizes the image.
class GatewayResolver final : public Resolver {
 public:
  // `client` and `health` must outlive the resolver; `health` is indexed like `gateways`.
  GatewayResolver(GatewayClient& client, std::vector<HttpUrl> gateways, GatewayHealth& health,
                  bool verify);
  boost::asio::awaitable<Resolution> resolve(const Cid& cid) override;

 private:
  GatewayClient& client_;
  std::vector<HttpUrl> gateways_;
  GatewayHealth& health_;
  bool verify_;
};

// The registry answer for a failed gateway fetch of `cid`: 404 for content that is not there,
// 504 for timeouts, 502 for everything else.
RegistryError gateway_error(const FetchFailure& failure, const std::string& cid);

// The registry answer for a layer manifest that failed validation.
RegistryError invalid_layer_manifest(const std::string& cid, const std::string& problem);

}  // namespace ocipfs
