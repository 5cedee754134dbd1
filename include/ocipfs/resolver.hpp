// The resolver seam: from a layer manifest CID to a synthesized image, or a registry error.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <optional>
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
class Metrics;
struct FetchFailure;

using ImagePtr = std::shared_ptr<const Image>;
using Resolution = Expected<ImagePtr, RegistryError>;

class Resolver {
 public:
  virtual ~Resolver() = default;
  // Resolves `cid` to its image. Errors are ready-made registry answers.
  virtual boost::asio::awaitable<Resolution> resolve(const Cid& cid) = 0;
  // The answer if it is at hand (cached), without waiting; nullopt otherwise.
  virtual std::optional<Resolution> cached(const Cid&) { return std::nullopt; }
};

// Verified layer manifest bytes, or a ready-made registry error.
using Content = Expected<std::string, RegistryError>;

// Where verified layer manifests come from.
class ContentSource {
 public:
  virtual ~ContentSource() = default;
  virtual boost::asio::awaitable<Content> fetch(const Cid& cid) = 0;
};

// Validates verified layer manifest bytes and synthesizes the image (pure).
Resolution build_image(const Cid& cid, const Content& content);

// Fetches the layer manifest from the gateways (healthiest first, the next one when one fails
// or lies) and verifies it against the CID. As a Resolver, it also builds the image (uncached).
class GatewayResolver final : public Resolver, public ContentSource {
 public:
  // `client` and `health` must outlive the resolver; `health` is indexed like `gateways`.
  GatewayResolver(GatewayClient& client, std::vector<HttpUrl> gateways, GatewayHealth& health,
                  bool verify, Metrics* metrics = nullptr);
  boost::asio::awaitable<Resolution> resolve(const Cid& cid) override;
  boost::asio::awaitable<Content> fetch(const Cid& cid) override;

 private:
  GatewayClient& client_;
  std::vector<HttpUrl> gateways_;
  GatewayHealth& health_;
  bool verify_;
  Metrics* metrics_;
};

// The registry answer for a failed gateway fetch of `cid`: 404 for content that is not there,
// 504 for timeouts, 502 for everything else.
RegistryError gateway_error(const FetchFailure& failure, const std::string& cid);

// The registry answer for a layer manifest that failed validation.
RegistryError invalid_layer_manifest(const std::string& cid, const std::string& problem);

}  // namespace ocipfs
