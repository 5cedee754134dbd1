// Verified content from gateways: the healthiest gateway first, the next one when one fails or
// lies or (hedging) is slow to answer, every answer proven against its CID.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <vector>

#include "ocipfs/base/log.hpp"
#include "ocipfs/cache/resolver.hpp"
#include "ocipfs/gateway/hedge.hpp"
#include "ocipfs/http/url.hpp"

namespace ocipfs {

class CancelSignal;
class FetchMetrics;
class FetchSlots;
class GatewayClient;
class GatewayHealth;
struct Judgement;

class GatewayFetcher final : public ContentSource {
 public:
  // `client`, `health`, `metrics` and `slots` (both optional) must outlive the fetcher; `health`
  // and the metrics' gateways are indexed like `gateways`. `verify` off takes answers as they
  // are. `hedge` (gateway/hedge.hpp) is off unless given. With `slots`, a fetch holds one of them,
  // and a hedge a second one when one is free at once; a fetch waits at most `slot_wait` for its
  // slot, then fails with 503 UNAVAILABLE (never cached). `trustless` is indexed like
  // `gateways` (missing ones are plain): a trustless gateway answers only blocks and CARs, so it
  // is asked for them and its answers proven even when `verify` is off.
  GatewayFetcher(GatewayClient& client, std::vector<HttpUrl> gateways, GatewayHealth& health,
                 bool verify, FetchMetrics* metrics = nullptr,
                 HedgePolicy hedge = HedgePolicy{HedgePolicy::Mode::off},
                 FetchSlots* slots = nullptr,
                 std::chrono::milliseconds slot_wait = std::chrono::seconds(30),
                 std::vector<bool> trustless = {});

  // The document's bytes, proven, or the error the failover decided (gateway/failover.hpp).
  // An identity CID carries its content: nothing is fetched.
  //
  // Without hedging (off, or one gateway) the gateways are asked one after the other, in health
  // order. With it, the first is asked; when it has not answered within hedge_delay(), the next
  // one is asked too (at most two at once), and a failure starts the next untried one at once.
  // The first proven answer (or proven content that is no document) wins; the fetch still under
  // way is cancelled (its socket closed) and waited for, and counts neither as a success nor as
  // a failure. When every gateway failed, the verdict is the one of asking them in turn.
  boost::asio::awaitable<Content> fetch(const Cid& cid, DocumentKind kind) override;

 private:
  struct Race;

  boost::asio::awaitable<Content> fetch_in_turn(const std::vector<std::size_t>& order,
                                                const Cid& cid, DocumentKind kind);
  boost::asio::awaitable<Content> fetch_hedged(std::vector<std::size_t> order, const Cid& cid,
                                               DocumentKind kind);
  void start(const std::shared_ptr<Race>& race, bool hedge);
  boost::asio::awaitable<void> run(std::shared_ptr<Race> race, std::size_t attempt);
  // Takes in the attempts that finished: a failure is recorded and starts the next untried
  // gateway. Returns the index of a winning attempt, if any.
  std::optional<std::size_t> settle(const std::shared_ptr<Race>& race);
  Content verdict(const Race& race) const;
  RegistryError no_slot(const Cid& cid, DocumentKind kind) const;  // 503, said so
  // One gateway's answer, judged; its metrics and latency, unless `cancel` was cancelled.
  boost::asio::awaitable<Judgement> ask(std::size_t gateway, const Cid& cid, DocumentKind kind,
                                        CancelSignal* cancel = nullptr);
  void failed(std::size_t gateway, const std::string& cid_text, const Judgement& judged);

  GatewayClient& client_;
  std::vector<HttpUrl> gateways_;
  GatewayHealth& health_;
  bool verify_;
  std::vector<bool> trustless_;  // as many as gateways_
  FetchMetrics* metrics_;
  HedgePolicy hedge_;
  FetchSlots* slots_;
  std::chrono::milliseconds slot_wait_;
  LogThrottle warnings_{std::chrono::seconds(1)};  // a storm of failures logs a line a second
};

}  // namespace ocipfs
