// Coalescing: many waiters, one fetch; a waiter that gives up or is cancelled breaks no other.
#include "ocipfs/cache/caching_resolver.hpp"

#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "support/test_data.hpp"

namespace ocipfs {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// Answers every fetch with the test layer manifest after `delay`, counting fetches.
struct SlowSource : ContentSource {
  std::chrono::milliseconds delay;
  int fetches = 0;
  explicit SlowSource(std::chrono::milliseconds d) : delay(d) {}
  asio::awaitable<Content> fetch(const Cid&, DocumentKind) override {
    ++fetches;
    asio::steady_timer timer(co_await asio::this_coro::executor, delay);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    co_return testing::layer_manifest_json();
  }
};

Repository test_cid() {
  return {DocumentKind::layer, *parse_cid(testing::manifest_cid), "layer/" + testing::manifest_cid};
}

TEST(CachingResolver, ManyWaitersOneFetch) {
  asio::io_context ioc;
  SlowSource source(50ms);
  ResolverShared shared(1 << 20);
  CachingResolver resolver(source, shared, 5s);
  int ok = 0;
  for (int i = 0; i < 100; ++i) {
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
          ok += (co_await resolver.resolve(test_cid())).has_value();
        },
        asio::detached);
  }
  ioc.run_for(10s);
  EXPECT_EQ(ok, 100);
  EXPECT_EQ(source.fetches, 1);
  EXPECT_EQ(shared.fetches(), 1u);
  // Cached now: no waiting, no fetch.
  EXPECT_TRUE(resolver.cached(test_cid()));
}

TEST(CachingResolver, AWaiterThatGivesUpBreaksNoOther) {
  asio::io_context ioc;
  SlowSource source(300ms);
  ResolverShared shared(1 << 20);
  CachingResolver impatient(source, shared, 20ms);
  CachingResolver patient(source, shared, 5s);
  std::optional<Resolution> first, second, third;
  asio::cancellation_signal cancel;
  asio::co_spawn(
      ioc, [&]() -> asio::awaitable<void> { first = co_await impatient.resolve(test_cid()); },
      asio::detached);
  asio::co_spawn(
      ioc, [&]() -> asio::awaitable<void> { second = co_await patient.resolve(test_cid()); },
      asio::detached);
  asio::co_spawn(
      ioc, [&]() -> asio::awaitable<void> { third = co_await patient.resolve(test_cid()); },
      asio::bind_cancellation_slot(cancel.slot(), asio::detached));
  asio::steady_timer later(ioc, 50ms);
  later.async_wait([&](auto) { cancel.emit(asio::cancellation_type::all); });
  ioc.run_for(10s);

  ASSERT_TRUE(first && second);
  EXPECT_FALSE(first->has_value());
  EXPECT_EQ(first->error().status, 504u);
  EXPECT_TRUE(second->has_value());
  ASSERT_TRUE(third);  // cancelled at 50 ms, before the fetch ended
  EXPECT_FALSE(third->has_value());
  EXPECT_EQ(source.fetches, 1);
  EXPECT_TRUE(impatient.cached(test_cid()));  // the fetch went on and filled the cache
}

TEST(CachingResolver, TheSecondTierRebuildsImages) {
  asio::io_context ioc;
  SlowSource source(0ms);
  ResolverShared shared(64 * 1024);  // hot tier: 8 KiB, too small for a whole image
  CachingResolver resolver(source, shared, 5s);
  std::optional<Resolution> fetched;
  asio::co_spawn(
      ioc, [&]() -> asio::awaitable<void> { fetched = co_await resolver.resolve(test_cid()); },
      asio::detached);
  ioc.run_for(5s);
  ASSERT_TRUE(fetched && fetched->has_value());
  EXPECT_EQ(shared.images.stats().entries, 0u);
  EXPECT_EQ(shared.documents.stats().entries, 1u);
  auto rebuilt = resolver.cached(test_cid());
  ASSERT_TRUE(rebuilt && rebuilt->has_value());
  EXPECT_EQ(rebuilt->value()->index.digest, fetched->value()->index.digest);
  EXPECT_EQ(source.fetches, 1);
}

}  // namespace
}  // namespace ocipfs

namespace ocipfs {
namespace {

// Fails every fetch with `error`, counting fetches.
struct FailingSource : ContentSource {
  RegistryError error;
  int fetches = 0;
  explicit FailingSource(RegistryError e) : error(std::move(e)) {}
  asio::awaitable<Content> fetch(const Cid&, DocumentKind) override {
    ++fetches;
    co_return Unexpected{error};
  }
};

Resolution resolve_once(CachingResolver& resolver) {
  asio::io_context ioc;
  std::optional<Resolution> out;
  asio::co_spawn(
      ioc, [&]() -> asio::awaitable<void> { out = co_await resolver.resolve(test_cid()); },
      asio::detached);
  ioc.run_for(10s);
  return out.value_or(Unexpected{internal_error()});
}

// A failure that just happened is answered again, without the gateways, until its time is up.
TEST(CachingResolver, ARecentFailureIsSharedForItsTimeOnly) {
  for (RegistryError error : {manifest_unknown("the gateways have no such CID"),
                              gateway_timeout("the gateway timed out")}) {
    FailingSource source(error);
    auto now = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
    ResolverShared shared(1 << 20, 5s, [&now] { return now; });
    CachingResolver resolver(source, shared, 5s);
    EXPECT_EQ(resolve_once(resolver).error(), error);
    EXPECT_EQ(resolve_once(resolver).error(), error);  // the GET after the HEAD
    auto cached = resolver.cached(test_cid());
    ASSERT_TRUE(cached);
    EXPECT_EQ(cached->error(), error);
    EXPECT_EQ(source.fetches, 1);
    now += 5s;
    EXPECT_FALSE(resolver.cached(test_cid()));
    EXPECT_EQ(resolve_once(resolver).error(), error);
    EXPECT_EQ(source.fetches, 2);
  }
}

TEST(CachingResolver, NoFailureIsKeptWithoutATtl) {
  FailingSource source(manifest_unknown("no such CID"));
  ResolverShared shared(1 << 20);
  CachingResolver resolver(source, shared, 5s);
  resolve_once(resolver);
  resolve_once(resolver);
  EXPECT_EQ(source.fetches, 2);
  EXPECT_FALSE(resolver.cached(test_cid()));
}

}  // namespace
}  // namespace ocipfs
