// Hedged gateway fetches: the delay decision without sockets, then GatewayFetcher against two
// in-process fake gateways (one slow, one fast, or lying, or failing), then ocipfsd's wiring.
#include "ocipfs/gateway/hedge.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <optional>
#include <thread>

#include "ocipfs/gateway/client.hpp"
#include "ocipfs/gateway/fetch_metrics.hpp"
#include "ocipfs/gateway/fetcher.hpp"
#include "ocipfs/gateway/health.hpp"
#include "support/server_fixture.hpp"

namespace ocipfs {
namespace {

std::string rendered(const FetchMetrics& metrics) {
  std::string out;
  metrics.render(out);
  return out;
}

namespace asio = boost::asio;
using namespace std::chrono_literals;
using std::chrono::milliseconds;
using testing::FakeGateway;
using testing::FakeReply;
using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;
using Mode = HedgePolicy::Mode;

HedgePolicy automatic() { return HedgePolicy{}; }
HedgePolicy fixed(milliseconds after) { return HedgePolicy{Mode::fixed, after}; }
HedgePolicy off() { return HedgePolicy{Mode::off}; }

LatencyEstimate steady(milliseconds latency, int samples) {
  LatencyEstimate estimate;
  for (int i = 0; i < samples; ++i) estimate.observe(latency);
  return estimate;
}

TEST(HedgeDelay, OffFixedOrFromTheLatency) {
  EXPECT_EQ(hedge_delay(off(), steady(300ms, 5)), std::nullopt);
  EXPECT_EQ(hedge_delay(fixed(250ms), LatencyEstimate{}), 250ms);
  EXPECT_EQ(hedge_delay(fixed(250ms), steady(3s, 5)), 250ms);     // fixed ignores the estimate
  EXPECT_EQ(hedge_delay(automatic(), LatencyEstimate{}), 500ms);  // nothing known yet
  EXPECT_EQ(hedge_delay(automatic(), steady(300ms, 1)), 600ms);   // twice the first sample
}

TEST(HedgeDelay, AutomaticStaysWithinFloorAndCeiling) {
  EXPECT_EQ(hedge_delay(automatic(), steady(5ms, 50)), 100ms);     // the floor
  EXPECT_EQ(hedge_delay(automatic(), steady(60s, 50)), 15'000ms);  // the ceiling
  HedgePolicy crossed = automatic();
  crossed.ceiling = 50ms;  // a gateway timeout of 100ms: the ceiling wins
  EXPECT_EQ(hedge_delay(crossed, steady(5ms, 5)), 50ms);
  EXPECT_EQ(hedge_delay(crossed, LatencyEstimate{}), 50ms);
}

TEST(LatencyEstimate, FollowsTheMeanAndTheSpread) {
  auto estimate = steady(200ms, 100);
  EXPECT_NEAR(std::chrono::duration<double>(estimate.mean()).count(), 0.2, 0.001);
  EXPECT_LT(estimate.deviation(), 1ms);  // a steady gateway: the delay is about its latency
  LatencyEstimate spread;
  for (int i = 0; i < 200; ++i) spread.observe(i % 2 ? 100ms : 300ms);
  EXPECT_NEAR(std::chrono::duration<double>(spread.mean()).count(), 0.2, 0.03);
  EXPECT_NEAR(std::chrono::duration<double>(spread.deviation()).count(), 0.1, 0.03);
  EXPECT_GT(spread.high(), 350ms);
  EXPECT_LT(spread.high(), 450ms);
}

TEST(LatencyEstimate, DecaysTowardsRecentLatency) {
  auto estimate = steady(2s, 50);
  for (int i = 0; i < 60; ++i) estimate.observe(100ms);
  EXPECT_LT(estimate.high(), 150ms);  // the slow past is forgotten
  LatencyEstimate odd;
  odd.observe(-5ms);  // a clock that went backwards counts as 0
  EXPECT_EQ(odd.mean(), 0ns);
  EXPECT_FALSE(odd.empty());
}

// Polls `done` until it holds or 5 s passed.
template <class Predicate>
bool eventually(Predicate done) {
  for (auto until = Clock::now() + 5s; Clock::now() < until;) {
    if (done()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return done();
}

FakeReply answer(std::string body, milliseconds delay, unsigned status = 200) {
  return FakeReply{FakeReply::Kind::respond, status, std::move(body), {}, delay};
}

struct Fetched {
  Content content;
  milliseconds took{0};
};

class HedgedFetch : public ::testing::Test {
 protected:
  FakeGateway slow;
  FakeGateway fast;
  std::string body = testing::layer_manifest_json("hedge.tar.gz");
  Cid cid = *parse_cid(testing::raw_cid_of(body));
  std::string path = "/ipfs/" + cid.to_string();
  FetchMetrics metrics{{"first", "second"}};

  // One fetch of `cid` through `gateways` in that order (fresh health: no earlier failure
  // reorders them), on its own io_context, with a 5 s gateway timeout.
  Fetched fetch(HedgePolicy policy, std::vector<FakeGateway*> gateways,
                GatewayHealth* shared_health = nullptr) {
    asio::io_context context;
    GatewayClientOptions options;
    options.timeout = 5s;
    GatewayClient client(context.get_executor(), options);
    std::vector<HttpUrl> urls;
    for (FakeGateway* gateway : gateways) urls.push_back(*parse_http_url(gateway->url()));
    GatewayHealth own_health(urls.size());
    GatewayHealth& health = shared_health ? *shared_health : own_health;
    GatewayFetcher fetcher(client, urls, health, /*verify=*/true, &metrics, policy);
    std::optional<Content> content;
    auto started = Clock::now();
    asio::co_spawn(
        context,
        [&]() -> asio::awaitable<void> {
          content.emplace(co_await fetcher.fetch(cid, DocumentKind::layer));
        },
        asio::detached);
    context.run();  // returns once the fetch and every attempt it started have finished
    auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - started);
    if (!content) throw std::runtime_error("the fetch did not finish");
    return {std::move(*content), took};
  }
  Fetched fetch(HedgePolicy policy) { return fetch(policy, {&slow, &fast}); }
};

TEST_F(HedgedFetch, ASlowPreferredGatewayIsOvertakenAndHungUpOn) {
  slow.set(path, answer(body, 2000ms));
  fast.set(path, answer(body, 20ms));
  auto fetched = fetch(fixed(100ms));
  ASSERT_TRUE(fetched.content) << fetched.content.error().message;
  EXPECT_EQ(*fetched.content, body);
  EXPECT_GE(fetched.took, 100ms);   // the second was asked only after the hedge delay
  EXPECT_LT(fetched.took, 1000ms);  // about 100 + 20 ms; far from the slow one's 2 s
  EXPECT_EQ(slow.request_count(path), 1u);
  EXPECT_EQ(fast.request_count(path), 1u);
  EXPECT_TRUE(eventually([&] { return slow.hang_up_count() == 1; }));  // its socket was closed
  EXPECT_EQ(fast.hang_up_count(), 0u);
  EXPECT_EQ(metrics.hedges_started.load(), 1u);
  EXPECT_EQ(metrics.hedges_won.load(), 1u);
  // The loser was cancelled: no failure for it in the metrics.
  EXPECT_THAT(rendered(metrics),
              HasSubstr("ocipfs_gateway_fetches_total{gateway=\"first\",outcome=\"timeout\"} 0"));
}

// The gateway that lost is backed off like a failure: the next fetch asks the winner first.
TEST_F(HedgedFetch, AGatewayOutrunByTheHedgeIsAskedSecondNextTime) {
  slow.set(path, answer(body, 2000ms));
  fast.set(path, answer(body, 20ms));
  GatewayHealth health(2);
  ASSERT_TRUE(fetch(fixed(100ms), {&slow, &fast}, &health).content);
  auto next = fetch(fixed(100ms), {&slow, &fast}, &health);
  ASSERT_TRUE(next.content) << next.content.error().message;
  EXPECT_EQ(fast.request_count(path), 2u);
  EXPECT_EQ(slow.request_count(path), 1u);  // the fast one answered before any hedge
  EXPECT_EQ(metrics.hedges_started.load(), 1u);
}

TEST_F(HedgedFetch, APreferredGatewayThatAnswersInTimeIsTheOnlyOneAsked) {
  fast.set(path, answer(body, 20ms));
  slow.set(path, answer(body, 20ms));
  auto fetched = fetch(fixed(1000ms), {&fast, &slow});
  ASSERT_TRUE(fetched.content) << fetched.content.error().message;
  EXPECT_EQ(*fetched.content, body);
  EXPECT_LT(fetched.took, 1000ms);
  EXPECT_EQ(fast.request_count(path), 1u);
  EXPECT_EQ(slow.request_count(path), 0u);
  EXPECT_EQ(metrics.hedges_started.load(), 0u);
}

TEST_F(HedgedFetch, AFailureStartsTheNextGatewayAtOnce) {
  slow.set(path, answer("busy", 0ms, 503));
  fast.set(path, answer(body, 20ms));
  auto fetched = fetch(fixed(3000ms));
  ASSERT_TRUE(fetched.content) << fetched.content.error().message;
  EXPECT_LT(fetched.took, 2000ms);  // not after the 3 s hedge delay
  EXPECT_EQ(metrics.hedges_started.load(), 0u);
}

TEST_F(HedgedFetch, WhenBothFailTheVerdictIsTheSequentialOne) {
  slow.set(path, answer("busy", 300ms, 503));  // fails last, though asked first
  fast.set(path, answer("gone", 20ms, 404));
  auto hedged = fetch(fixed(50ms));
  auto in_turn = fetch(off());
  ASSERT_FALSE(hedged.content);
  ASSERT_FALSE(in_turn.content);
  EXPECT_EQ(hedged.content.error(), in_turn.content.error());
  EXPECT_THAT(hedged.content.error().message, HasSubstr(slow.url()));
  EXPECT_THAT(hedged.content.error().message, HasSubstr(fast.url()));
  EXPECT_EQ(slow.request_count(path), 2u);
  EXPECT_EQ(fast.request_count(path), 2u);
  EXPECT_EQ(metrics.hedges_started.load(), 1u);
  EXPECT_EQ(metrics.hedges_won.load(), 0u);
}

TEST_F(HedgedFetch, AFastLieLosesToASlowProof) {
  slow.set(path, answer(body, 400ms));
  fast.set(path, answer(body + " ", 20ms));  // other bytes than the CID names
  auto fetched = fetch(fixed(50ms));
  ASSERT_TRUE(fetched.content) << fetched.content.error().message;
  EXPECT_EQ(*fetched.content, body);
  EXPECT_GE(fetched.took, 400ms);
  EXPECT_EQ(fast.request_count(path), 1u);
  EXPECT_EQ(slow.hang_up_count(), 0u);
  EXPECT_EQ(metrics.hedges_started.load(), 1u);
  EXPECT_EQ(metrics.hedges_won.load(), 0u);
  EXPECT_THAT(rendered(metrics),
              HasSubstr("ocipfs_gateway_fetches_total{gateway=\"second\",outcome=\"mismatch\"} 1"));
}

TEST_F(HedgedFetch, OffIsStrictlyOneAfterTheOther) {
  slow.set(path, answer(body, 300ms));
  fast.set(path, answer(body, 20ms));
  auto fetched = fetch(off());
  ASSERT_TRUE(fetched.content);
  EXPECT_GE(fetched.took, 300ms);
  EXPECT_EQ(fast.request_count(path), 0u);
  slow.set(path, answer("busy", 300ms, 503));
  auto failed_over = fetch(off());
  ASSERT_TRUE(failed_over.content);
  EXPECT_GE(failed_over.took, 300ms);  // the second only after the first failed
  EXPECT_EQ(fast.request_count(path), 1u);
  EXPECT_EQ(metrics.hedges_started.load(), 0u);
}

TEST_F(HedgedFetch, OneGatewayIsNeverHedged) {
  slow.set(path, answer(body, 300ms));
  auto fetched = fetch(fixed(50ms), {&slow});
  ASSERT_TRUE(fetched.content);
  EXPECT_GE(fetched.took, 300ms);
  EXPECT_EQ(slow.request_count(path), 1u);
  EXPECT_EQ(slow.hang_up_count(), 0u);
  EXPECT_EQ(metrics.hedges_started.load(), 0u);
}

TEST_F(HedgedFetch, ProvenContentThatIsNoDocumentIsFinal) {
  // The empty directory, proven: no file, whichever gateway is asked.
  cid = *parse_cid(testing::layer_dir_cid);
  path = "/ipfs/" + cid.to_string();
  FakeReply directory = answer(std::string("\x0a\x02\x08\x01", 4), 20ms);
  directory.headers = {{"Content-Type", "application/vnd.ipld.raw"}};
  slow.set(path, answer(body, 2000ms));
  fast.set(path, directory);
  auto fetched = fetch(fixed(50ms));
  ASSERT_FALSE(fetched.content);
  EXPECT_LT(fetched.took, 1000ms);                  // final at once: the slow one is not waited for
  EXPECT_EQ(fetched.content.error().status, 400u);  // a directory, said so
  EXPECT_EQ(fetched.content.error().code, ErrorCode::manifest_invalid);
  EXPECT_TRUE(eventually([&] { return slow.hang_up_count() == 1; }));
}

// ocipfsd itself: --hedge-after reaches the fetchers, /metrics counts the hedges.
class HedgedServer : public ServerTest {
 protected:
  FakeGateway fast;
};

TEST_F(HedgedServer, TheFastSecondGatewayAnswers) {
  gateway.set("/ipfs/" + cid, answer(testing::layer_manifest_json(), 2000ms));
  fast.serve_cid(cid, testing::layer_manifest_json());
  start({"--gateway=" + gateway.url(), "--gateway=" + fast.url(), "--gateway-timeout=5s",
         "--hedge-after=100ms"});
  auto started = Clock::now();
  auto result = get(repo + "/manifests/latest", "GET", {{"Accept", accept_all}});
  EXPECT_EQ(result.status, 200u) << result.body;
  EXPECT_LT(Clock::now() - started, 1500ms);
  EXPECT_TRUE(eventually([&] { return gateway.hang_up_count() == 1; }));
  auto metrics = get("/metrics").body;
  EXPECT_THAT(metrics, HasSubstr("ocipfs_gateway_hedges_total 1\n"));
  EXPECT_THAT(metrics, HasSubstr("ocipfs_gateway_hedges_won_total 1\n"));
}

}  // namespace
}  // namespace ocipfs
