#include "ocipfs/resolver.hpp"

#include <spdlog/spdlog.h>

#include "ocipfs/gateway_client.hpp"
#include "ocipfs/gateway_health.hpp"
#include "ocipfs/layer_manifest.hpp"
#include "ocipfs/metrics.hpp"
#include "ocipfs/verify.hpp"

namespace ocipfs {

namespace {

constexpr std::string_view raw_block_type = "application/vnd.ipld.raw";

// How bad a failed attempt was, for choosing the answer when every gateway failed.
enum class Severity { not_found, bad_gateway, mismatch, timeout };

FetchOutcome fetch_outcome(FetchFault fault) {
  switch (fault) {
    case FetchFault::not_found:
      return FetchOutcome::not_found;
    case FetchFault::rate_limited:
      return FetchOutcome::rate_limited;
    case FetchFault::bad_status:
      return FetchOutcome::bad_status;
    case FetchFault::timeout:
      return FetchOutcome::timeout;
    case FetchFault::unreachable:
      return FetchOutcome::unreachable;
    case FetchFault::garbage:
      return FetchOutcome::garbage;
    case FetchFault::too_large:
      return FetchOutcome::too_large;
    case FetchFault::bad_redirect:
      return FetchOutcome::bad_redirect;
  }
  return FetchOutcome::bad_status;
}

Severity severity_of(FetchFault fault) {
  switch (fault) {
    case FetchFault::not_found:
      return Severity::not_found;
    case FetchFault::timeout:
      return Severity::timeout;
    default:
      return Severity::bad_gateway;
  }
}

}  // namespace

RegistryError gateway_error(const FetchFailure& failure, const std::string& cid) {
  switch (failure.fault) {
    case FetchFault::not_found:
      return manifest_unknown("layer manifest " + cid + " was not found: gateway " +
                              failure.message);
    case FetchFault::timeout:
      return {504, ErrorCode::unavailable,
              "gateway timeout fetching layer manifest " + cid + ": " + failure.message};
    case FetchFault::too_large:
      return {502, ErrorCode::unavailable,
              "bad gateway fetching layer manifest " + cid + ": " + failure.message +
                  " (a layer manifest is at most 1 MiB)"};
    default:
      return {502, ErrorCode::unavailable,
              "bad gateway fetching layer manifest " + cid + ": " + failure.message};
  }
}

RegistryError invalid_layer_manifest(const std::string& cid, const std::string& problem) {
  return {404, ErrorCode::manifest_invalid, "layer manifest " + cid + " is invalid: " + problem};
}

GatewayResolver::GatewayResolver(GatewayClient& client, std::vector<HttpUrl> gateways,
                                 GatewayHealth& health, bool verify, Metrics* metrics)
    : client_(client),
      gateways_(std::move(gateways)),
      health_(health),
      verify_(verify),
      metrics_(metrics) {}

Resolution build_image(const Cid& cid, const Content& content) {
  if (!content) return Unexpected{content.error()};
  std::string cid_text = cid.to_string();
  auto layer = parse_layer_manifest(*content);
  if (!layer) return Unexpected{invalid_layer_manifest(cid_text, layer.error())};
  return std::make_shared<const Image>(synthesize_image(std::move(cid_text), std::move(*layer)));
}

boost::asio::awaitable<Resolution> GatewayResolver::resolve(const Cid& cid) {
  Content content = co_await fetch(cid);
  co_return build_image(cid, content);
}

boost::asio::awaitable<Content> GatewayResolver::fetch(const Cid& cid) {
  const std::string cid_text = cid.to_string();

  // An identity CID carries its content: nothing to fetch.
  if (cid.hash == multihash::identity) {
    auto content = cid.codec == multicodec::raw ? Expected<std::string>(cid.digest)
                                                : decode_unixfs_file_block(cid.digest);
    if (!content) co_return Unexpected{invalid_layer_manifest(cid_text, content.error())};
    co_return std::move(*content);
  }

  Severity worst = Severity::not_found;
  std::optional<RegistryError> first_error;
  std::string failures;
  for (std::size_t index : health_.order(GatewayHealth::Clock::now())) {
    const HttpUrl& gateway = gateways_[index];
    HttpUrl url = gateway;
    url.path = std::string(gateway.base_path()) + "/ipfs/" + cid_text;
    // A trustless gateway answers with the block; a plain one ignores this and sends the file.
    // (No conditional temporaries in a co_await expression: GCC 12 destroys them twice.)
    std::string accept;
    if (verify_) accept = raw_block_type;
    auto started = std::chrono::steady_clock::now();
    auto fetched = co_await client_.get(url, std::move(accept));
    auto record = [&](FetchOutcome outcome) {
      if (metrics_)
        metrics_->fetch_done(index, outcome, std::chrono::steady_clock::now() - started);
    };

    std::optional<std::string> content;
    std::string problem;
    Severity severity = Severity::bad_gateway;
    std::chrono::seconds retry_after{0};
    if (!fetched) {
      record(fetch_outcome(fetched.error().fault));
      problem = fetched.error().message;
      severity = severity_of(fetched.error().fault);
      retry_after = fetched.error().retry_after;
      if (!first_error) first_error = gateway_error(fetched.error(), cid_text);
    } else if (!verify_) {
      content = std::move(fetched->body);
    } else {
      bool block = fetched->content_type.starts_with(raw_block_type);
      auto verified = verify_content(cid, fetched->body, block ? Payload::block : Payload::file);
      if (verified) {
        content = std::move(*verified);
      } else if (verified.error().kind == VerifyFailure::Kind::unusable) {
        record(FetchOutcome::ok);
        // Proven content that cannot be a layer manifest: immutable, no other gateway can help.
        health_.succeeded(index);
        co_return Unexpected{invalid_layer_manifest(cid_text, verified.error().message)};
      } else {
        record(FetchOutcome::mismatch);
        problem = gateway.origin() + ": " + verified.error().message;
        severity = Severity::mismatch;
      }
    }
    if (content) {
      record(FetchOutcome::ok);
      health_.succeeded(index);
      co_return std::move(*content);
    }
    unsigned in_a_row = health_.failed(index, GatewayHealth::Clock::now(), retry_after);
    spdlog::warn("gateway {} failed for {} ({} in a row): {}", gateway.origin(), cid_text, in_a_row,
                 problem);
    worst = std::max(worst, severity);
    failures += (failures.empty() ? "" : "; ") + problem;
  }

  if (gateways_.size() == 1 && worst != Severity::mismatch && first_error)
    co_return Unexpected{*first_error};
  switch (worst) {
    case Severity::not_found:
      co_return Unexpected{
          manifest_unknown("layer manifest " + cid_text + " was not found: " + failures)};
    case Severity::timeout:
      co_return Unexpected{
          RegistryError{504, ErrorCode::unavailable,
                        "gateway timeout fetching layer manifest " + cid_text + ": " + failures}};
    case Severity::mismatch:
      co_return Unexpected{RegistryError{502, ErrorCode::unavailable,
                                         "refusing layer manifest " + cid_text + ": " + failures}};
    default:
      co_return Unexpected{
          RegistryError{502, ErrorCode::unavailable,
                        "bad gateway fetching layer manifest " + cid_text + ": " + failures}};
  }
}

}  // namespace ocipfs
