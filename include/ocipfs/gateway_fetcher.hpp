// Verified content from gateways: the healthiest gateway first, the next one when one fails or
// lies, every answer proven against its CID.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <vector>

#include "ocipfs/http_url.hpp"
#include "ocipfs/resolver.hpp"

namespace ocipfs {

class GatewayClient;
class GatewayHealth;
class Metrics;
struct Judgement;

class GatewayFetcher final : public ContentSource {
 public:
  // `client`, `health` and `metrics` (optional) must outlive the fetcher; `health` and the
  // metrics' gateways are indexed like `gateways`. `verify` off takes answers as they are.
  GatewayFetcher(GatewayClient& client, std::vector<HttpUrl> gateways, GatewayHealth& health,
                 bool verify, Metrics* metrics = nullptr);

  // The document's bytes, proven, or the error the failover decided (gateway_failover.hpp).
  // An identity CID carries its content: nothing is fetched.
  boost::asio::awaitable<Content> fetch(const Cid& cid, DocumentKind kind) override;

 private:
  boost::asio::awaitable<Judgement> ask(std::size_t gateway, const Cid& cid, DocumentKind kind);

  GatewayClient& client_;
  std::vector<HttpUrl> gateways_;
  GatewayHealth& health_;
  bool verify_;
  Metrics* metrics_;
};

}  // namespace ocipfs
