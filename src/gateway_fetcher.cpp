#include "ocipfs/gateway_fetcher.hpp"

#include <spdlog/spdlog.h>

#include "ocipfs/gateway_client.hpp"
#include "ocipfs/gateway_failover.hpp"
#include "ocipfs/gateway_health.hpp"
#include "ocipfs/metrics.hpp"
#include "ocipfs/verify.hpp"

namespace ocipfs {

namespace {

Content identity_content(const Cid& cid, DocumentKind kind) {
  auto content = cid.codec == multicodec::raw ? Expected<std::string>(cid.digest)
                                              : decode_unixfs_file_block(cid.digest);
  if (!content) return Unexpected{invalid_document(kind, cid.to_string(), content.error())};
  return std::move(*content);
}

}  // namespace

GatewayFetcher::GatewayFetcher(GatewayClient& client, std::vector<HttpUrl> gateways,
                               GatewayHealth& health, bool verify, Metrics* metrics)
    : client_(client),
      gateways_(std::move(gateways)),
      health_(health),
      verify_(verify),
      metrics_(metrics) {}

boost::asio::awaitable<Judgement> GatewayFetcher::ask(std::size_t index, const Cid& cid,
                                                      DocumentKind kind) {
  const HttpUrl& gateway = gateways_[index];
  HttpUrl url = gateway;
  GatewayAsk how = gateway_ask(cid, verify_);
  url.path = std::string(gateway.base_path()) + "/ipfs/" + cid.to_string() + how.query;
  // (No conditional temporaries in a co_await expression: GCC 12 destroys them twice.)
  std::string accept = std::move(how.accept);
  auto started = std::chrono::steady_clock::now();
  auto answer = co_await client_.get(url, std::move(accept));
  Judgement judged = judge_answer(cid, kind, std::move(answer), verify_, gateway.origin());
  if (metrics_) {
    auto took = std::chrono::steady_clock::now() - started;
    if (judged.kind == Judgement::Kind::failure)
      metrics_->fetch_failed(index, judged.failure.fault, took);
    else
      metrics_->fetch_succeeded(index, took);
  }
  co_return judged;
}

boost::asio::awaitable<Content> GatewayFetcher::fetch(const Cid& cid, DocumentKind kind) {
  if (cid.hash == multihash::identity) co_return identity_content(cid, kind);
  const std::string cid_text = cid.to_string();
  Failover failover(kind, cid_text, gateways_.size());
  for (std::size_t index : health_.order(GatewayHealth::Clock::now())) {
    Judgement judged = co_await ask(index, cid, kind);
    if (judged.kind != Judgement::Kind::failure) {
      health_.succeeded(index);
      if (judged.kind == Judgement::Kind::final) co_return Unexpected{std::move(judged.error)};
      co_return std::move(judged.content);
    }
    const FetchFailure& failure = judged.failure;
    unsigned in_a_row = health_.failed(index, GatewayHealth::Clock::now(), failure.retry_after);
    spdlog::warn("gateway {} failed for {} ({} in a row): {}", gateways_[index].origin(), cid_text,
                 in_a_row, failure.message);
    failover.failed(failure);
  }
  co_return Unexpected{failover.verdict()};
}

}  // namespace ocipfs
