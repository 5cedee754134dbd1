#include "ocipfs/resolver.hpp"

#include <spdlog/spdlog.h>

#include "ocipfs/gateway_client.hpp"
#include "ocipfs/layer_manifest.hpp"

namespace ocipfs {

RegistryError gateway_error(const FetchFailure& failure, const std::string& cid) {
  switch (failure.fault) {
    case FetchFault::not_found:
      return manifest_unknown("layer manifest " + cid + " was not found: gateway " +
                              failure.message);
    case FetchFault::timeout:
      return {504, ErrorCode::unavailable,
              "gateway timeout fetching layer manifest " + cid + ": " + failure.message};
    case FetchFault::rate_limited:
    case FetchFault::bad_status:
    case FetchFault::unreachable:
    case FetchFault::garbage:
    case FetchFault::bad_redirect:
      return {502, ErrorCode::unavailable,
              "bad gateway fetching layer manifest " + cid + ": " + failure.message};
    case FetchFault::too_large:
      return {502, ErrorCode::unavailable,
              "bad gateway fetching layer manifest " + cid + ": " + failure.message +
                  " (a layer manifest is at most 1 MiB)"};
  }
  return internal_error();
}

RegistryError invalid_layer_manifest(const std::string& cid, const std::string& problem) {
  return {404, ErrorCode::manifest_invalid, "layer manifest " + cid + " is invalid: " + problem};
}

GatewayResolver::GatewayResolver(GatewayClient& client, HttpUrl gateway)
    : client_(client), gateway_(std::move(gateway)) {}

boost::asio::awaitable<Resolution> GatewayResolver::resolve(const Cid& cid) {
  std::string cid_text = cid.to_string();
  HttpUrl url = gateway_;
  url.path = std::string(gateway_.base_path()) + "/ipfs/" + cid_text;
  auto fetched = co_await client_.get(url);
  if (!fetched) {
    spdlog::warn("gateway {} failed for {}: {}", gateway_.origin(), cid_text,
                 fetched.error().message);
    co_return Unexpected{gateway_error(fetched.error(), cid_text)};
  }
  auto layer = parse_layer_manifest(fetched->body);
  if (!layer) co_return Unexpected{invalid_layer_manifest(cid_text, layer.error())};
  co_return std::make_shared<const Image>(synthesize_image(cid_text, std::move(*layer)));
}

}  // namespace ocipfs
