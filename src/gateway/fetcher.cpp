#include "ocipfs/gateway/fetcher.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <deque>
#include <exception>
#include <optional>

#include "ocipfs/base/asio_tokens.hpp"
#include "ocipfs/base/cancel_signal.hpp"
#include "ocipfs/base/log.hpp"
#include "ocipfs/base/text.hpp"
#include "ocipfs/formats/verify.hpp"
#include "ocipfs/gateway/client.hpp"
#include "ocipfs/gateway/failover.hpp"
#include "ocipfs/gateway/fetch_metrics.hpp"
#include "ocipfs/gateway/fetch_slots.hpp"
#include "ocipfs/gateway/health.hpp"
#include "ocipfs/image/repository.hpp"

namespace ocipfs {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

Content identity_content(const Cid& cid, DocumentKind kind) {
  auto content = cid.codec == multicodec::raw ? Expected<std::string>(cid.digest)
                                              : decode_unixfs_file_block(cid.digest);
  if (!content) return Unexpected{invalid_document(kind, cid.to_string(), content.error())};
  return std::move(*content);
}

// What an attempt that threw is judged: a failure of its gateway.
Judgement thrown(std::exception_ptr error, const std::string& origin) {
  Judgement judged;
  judged.failure = {FetchFault::unreachable, origin + " failed: internal error", 0,
                    std::chrono::seconds{0}};
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    judged.failure.message = origin + " failed: " + e.what();
  } catch (...) {
  }
  return judged;
}

}  // namespace

// The state of one hedged fetch, shared by the fetch and its attempts: it outlives them all.
struct GatewayFetcher::Race {
  Race(asio::any_io_executor executor, const Cid& c, DocumentKind k, std::vector<std::size_t> o)
      : wake(std::move(executor)), cid(c), cid_text(c.to_string()), kind(k), order(std::move(o)) {}

  struct Attempt {
    std::size_t gateway = 0;
    bool hedge = false;  // started because the first was slow, not because one failed
    CancelSignal cancel;
    std::optional<Judgement> judged;  // once it finished
    bool settled = false;             // taken in by settle()
  };

  asio::steady_timer wake;  // the fetch waits on it; a finished attempt cancels the wait
  Cid cid;
  std::string cid_text;
  DocumentKind kind;
  std::vector<std::size_t> order;  // gateways in health order; attempts[i] asks order[i]
  std::deque<Attempt> attempts;    // in the order started (a deque: their addresses stay put)
  std::size_t running = 0;         // attempts whose coroutine has not finished
};

GatewayFetcher::GatewayFetcher(GatewayClient& client, std::vector<HttpUrl> gateways,
                               GatewayHealth& health, bool verify, FetchMetrics* metrics,
                               HedgePolicy hedge, FetchSlots* slots,
                               std::chrono::milliseconds slot_wait, std::vector<bool> trustless)
    : client_(client),
      gateways_(std::move(gateways)),
      health_(health),
      verify_(verify),
      trustless_(std::move(trustless)),
      metrics_(metrics),
      hedge_(hedge),
      slots_(slots),
      slot_wait_(slot_wait) {
  trustless_.resize(gateways_.size());
}

asio::awaitable<Judgement> GatewayFetcher::ask(std::size_t index, const Cid& cid, DocumentKind kind,
                                               CancelSignal* cancel) {
  const HttpUrl& gateway = gateways_[index];
  HttpUrl url = gateway;
  const bool verify = verify_ || trustless_[index];  // a block or a CAR is no document as it is
  GatewayAsk how = gateway_ask(cid, verify);
  url.path = std::string(gateway.base_path()) + "/ipfs/" + cid.to_string() + how.query;
  // (No conditional temporaries in a co_await expression: GCC 12 destroys them twice.)
  std::string accept = std::move(how.accept);
  auto started = Clock::now();
  auto answer = co_await client_.get(url, std::move(accept), cancel);
  if (cancel && cancel->cancelled()) co_return Judgement{};  // a loser: no verdict, no metrics
  Judgement judged = judge_answer(cid, kind, std::move(answer), verify, gateway.origin());
  auto took = Clock::now() - started;
  if (judged.kind != Judgement::Kind::failure) health_.observed_latency(index, took);
  if (metrics_) {
    if (judged.kind == Judgement::Kind::failure)
      metrics_->fetch_failed(index, judged.failure.fault, took);
    else
      metrics_->fetch_succeeded(index, took);
  }
  co_return judged;
}

void GatewayFetcher::failed(std::size_t index, const std::string& cid_text,
                            const Judgement& judged) {
  const FetchFailure& failure = judged.failure;
  if (failure.fault == FetchFault::local_resources) {  // ours, not the gateway's
    spdlog::error("fetching {} from {}: {}", cid_text, gateways_[index].origin(), failure.message);
    return;
  }
  unsigned in_a_row = health_.failed(index, GatewayHealth::Clock::now(), failure.retry_after);
  std::uint64_t suppressed = 0;
  if (!warnings_.ready(suppressed)) {
    if (metrics_) metrics_->warnings_suppressed.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  spdlog::warn("gateway {} failed for {} ({} in a row): {}{}{}", gateways_[index].origin(),
               cid_text, in_a_row, failure.message,
               failure.detail.empty() ? "" : " [" + failure.detail + "]",
               suppressed ? " (and " + std::to_string(suppressed) + " more since the last)" : "");
}

boost::asio::awaitable<Content> GatewayFetcher::fetch(const Cid& cid, DocumentKind kind) {
  if (cid.hash == multihash::identity) co_return identity_content(cid, kind);
  FetchSlots::Slot slot;
  if (slots_) {
    slot = co_await slots_->acquire(Clock::now() + slot_wait_);
    if (!slot) co_return Unexpected{no_slot(cid, kind)};
  }
  std::vector<std::size_t> order = health_.order(GatewayHealth::Clock::now());
  if (order.size() < 2 || hedge_.mode == HedgePolicy::Mode::off)
    co_return co_await fetch_in_turn(order, cid, kind);
  co_return co_await fetch_hedged(std::move(order), cid, kind);
}

asio::awaitable<Content> GatewayFetcher::fetch_in_turn(const std::vector<std::size_t>& order,
                                                       const Cid& cid, DocumentKind kind) {
  const std::string cid_text = cid.to_string();
  Failover failover(kind, cid_text, gateways_.size());
  for (std::size_t index : order) {
    Judgement judged = co_await ask(index, cid, kind);
    if (judged.kind != Judgement::Kind::failure) {
      health_.succeeded(index);
      if (judged.kind == Judgement::Kind::final) co_return Unexpected{std::move(judged.error)};
      co_return std::move(judged.content);
    }
    failed(index, cid_text, judged);
    failover.failed(judged.failure);
  }
  co_return Unexpected{failover.verdict()};
}

void GatewayFetcher::start(const std::shared_ptr<Race>& race, bool hedge) {
  std::size_t at = race->attempts.size();
  Race::Attempt& attempt = race->attempts.emplace_back();
  attempt.gateway = race->order[at];
  attempt.hedge = hedge;
  ++race->running;
  asio::co_spawn(race->wake.get_executor(), run(race, at),
                 [this, race, at](std::exception_ptr error) {
                   Race::Attempt& done = race->attempts[at];
                   if (error && !done.judged)
                     done.judged = thrown(error, gateways_[done.gateway].origin());
                   --race->running;
                   race->wake.cancel();
                 });
}

asio::awaitable<void> GatewayFetcher::run(std::shared_ptr<Race> race, std::size_t at) {
  Race::Attempt& attempt = race->attempts[at];
  Judgement judged = co_await ask(attempt.gateway, race->cid, race->kind, &attempt.cancel);
  attempt.judged = std::move(judged);
}

std::optional<std::size_t> GatewayFetcher::settle(const std::shared_ptr<Race>& race) {
  // A winner first: then no failure beside it starts another attempt.
  for (std::size_t at = 0; at < race->attempts.size(); ++at) {
    const Race::Attempt& attempt = race->attempts[at];
    if (attempt.judged && attempt.judged->kind != Judgement::Kind::failure) return at;
  }
  for (std::size_t at = 0; at < race->attempts.size(); ++at) {
    Race::Attempt& attempt = race->attempts[at];
    if (!attempt.judged || attempt.settled) continue;
    attempt.settled = true;
    failed(attempt.gateway, race->cid_text, *attempt.judged);
    if (race->attempts.size() < race->order.size()) start(race, false);
  }
  return std::nullopt;
}

RegistryError GatewayFetcher::no_slot(const Cid& cid, DocumentKind kind) const {
  return service_unavailable("ocipfsd is busy: its " + std::to_string(slots_->limit()) +
                             " gateway fetches (--max-gateway-fetches) were all in use for " +
                             duration_text(slot_wait_) + ", so the " +
                             std::string(document_noun(kind)) + " " + cid.to_string() +
                             " was not fetched; try again");
}

Content GatewayFetcher::verdict(const Race& race) const {
  Failover failover(race.kind, race.cid_text, gateways_.size());
  for (const Race::Attempt& attempt : race.attempts) failover.failed(attempt.judged->failure);
  return Unexpected{failover.verdict()};
}

asio::awaitable<Content> GatewayFetcher::fetch_hedged(std::vector<std::size_t> order,
                                                      const Cid& cid, DocumentKind kind) {
  auto executor = co_await asio::this_coro::executor;
  auto race = std::make_shared<Race>(executor, cid, kind, std::move(order));
  auto delay = hedge_delay(hedge_, health_.latency(race->order[0]));
  const auto hedge_at = Clock::now() + delay.value_or(std::chrono::milliseconds{0});
  start(race, false);
  FetchSlots::Slot hedge_slot;  // held until every attempt has finished
  bool hedged = false;
  std::optional<std::size_t> winner;
  for (;;) {
    winner = settle(race);
    if (winner || race->running == 0) break;
    bool may_hedge = !hedged && race->running == 1 && race->attempts.size() < race->order.size();
    if (may_hedge && Clock::now() >= hedge_at) {
      hedged = true;  // once, and only with a socket to spare
      if (slots_ && !(hedge_slot = slots_->try_acquire())) continue;
      if (metrics_) metrics_->hedges_started.fetch_add(1, std::memory_order_relaxed);
      start(race, true);
      continue;
    }
    race->wake.expires_at(may_hedge ? hedge_at : Clock::time_point::max());
    co_await race->wake.async_wait(use_tuple);
  }
  // The losers stop now; their coroutines use the race and this fetcher until they finish.
  for (Race::Attempt& attempt : race->attempts) attempt.cancel.cancel();
  while (race->running > 0) {
    race->wake.expires_at(Clock::time_point::max());
    co_await race->wake.async_wait(use_tuple);
  }
  if (!winner) co_return verdict(*race);
  Race::Attempt& won = race->attempts[*winner];
  health_.succeeded(won.gateway);
  // A preferred gateway outrun by the hedge is tried after the winner for a while, with the
  // back-off of a failure: cold fetches stop paying the hedge delay for it.
  if (won.hedge) health_.failed(race->order[0], Clock::now());
  if (won.hedge && metrics_) metrics_->hedges_won.fetch_add(1, std::memory_order_relaxed);
  if (won.judged->kind == Judgement::Kind::final)
    co_return Unexpected{std::move(won.judged->error)};
  co_return std::move(won.judged->content);
}

}  // namespace ocipfs
