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
  CachingResolver resolver(ioc.get_executor(), source, shared, 5s);
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
  EXPECT_TRUE(resolver.find(test_cid()).ready());
}

TEST(CachingResolver, AWaiterThatGivesUpBreaksNoOther) {
  asio::io_context ioc;
  SlowSource source(300ms);
  ResolverShared shared(1 << 20);
  CachingResolver impatient(ioc.get_executor(), source, shared, 20ms);
  CachingResolver patient(ioc.get_executor(), source, shared, 5s);
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
  EXPECT_TRUE(impatient.find(test_cid()).ready());  // the fetch went on and filled the cache
}

TEST(CachingResolver, TheSecondTierRebuildsImages) {
  asio::io_context ioc;
  SlowSource source(0ms);
  ResolverShared shared(64 * 1024);  // hot tier: 8 KiB, too small for a whole image
  CachingResolver resolver(ioc.get_executor(), source, shared, 5s);
  std::optional<Resolution> fetched;
  asio::co_spawn(
      ioc, [&]() -> asio::awaitable<void> { fetched = co_await resolver.resolve(test_cid()); },
      asio::detached);
  ioc.run_for(5s);
  ASSERT_TRUE(fetched && fetched->has_value());
  EXPECT_EQ(shared.images.stats().entries, 0u);
  EXPECT_EQ(shared.documents.stats().entries, 1u);
  auto lookup = resolver.find(test_cid());
  const Resolution* rebuilt = lookup.ready();
  ASSERT_TRUE(rebuilt && rebuilt->has_value());
  EXPECT_EQ(rebuilt->value()->index.digest, fetched->value()->index.digest);
  EXPECT_EQ(source.fetches, 1);
}

// A request looks its image up once: a miss joins the fetch at once, and nothing asks again.
TEST(CachingResolver, ARequestLooksItsImageUpOnce) {
  asio::io_context ioc;
  SlowSource source(0ms);
  ResolverShared shared(1 << 20);
  CachingResolver resolver(ioc.get_executor(), source, shared, 5s);
  auto lookups = [&] {
    auto stats = shared.images.stats();
    return stats.hits + stats.misses;
  };
  std::optional<Resolution> result;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        result = co_await resolver.wait(resolver.find(test_cid()));
      },
      asio::detached);
  ioc.run_for(5s);
  ASSERT_TRUE(result && result->has_value());
  EXPECT_EQ(lookups(), 1u);
  EXPECT_EQ(shared.images.stats().misses, 1u);
  EXPECT_TRUE(resolver.find(test_cid()).ready());
  EXPECT_EQ(lookups(), 2u);
  EXPECT_EQ(shared.images.stats().hits, 1u);
}

// A warm answer marks its image as used: the images tier spares it once, as if it had been found.
TEST(CachingResolver, AnImageFoundHotIsSparedOnce) {
  asio::io_context ioc;
  SlowSource source(0ms);
  auto repository = [](int i) {
    Cid cid = *parse_cid(testing::raw_cid_of("layer manifest " + std::to_string(i)));
    return Repository{DocumentKind::layer, cid, "layer/" + cid.to_string()};
  };
  auto resolve = [&](CachingResolver& resolver, const Repository& repository) {
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
          EXPECT_TRUE((co_await resolver.wait(resolver.find(repository))).has_value());
        },
        asio::detached);
    ioc.restart();
    ioc.run_for(5s);
  };
  ResolverShared probe(1 << 20);
  CachingResolver measure(ioc.get_executor(), source, probe, 5s);
  resolve(measure, repository(0));
  const std::size_t one = probe.images.stats().bytes;  // what an image costs the images tier
  ResolverShared shared(8 * (2 * one + one / 2));      // room for two images
  CachingResolver resolver(ioc.get_executor(), source, shared, 5s);
  resolve(resolver, repository(1));
  resolve(resolver, repository(2));
  // Found in the cache, each is this thread's hot image from now on; 1 is the least recent.
  ASSERT_TRUE(resolver.find(repository(1)).ready());
  ASSERT_TRUE(resolver.find(repository(2)).ready());
  ASSERT_TRUE(resolver.hot(repository(1).name));  // marks 1
  resolve(resolver, repository(3));               // evicts one: 2, as 1 is spared
  auto hits = shared.images.stats().hits;
  EXPECT_TRUE(resolver.find(repository(1)).ready());
  EXPECT_EQ(shared.images.stats().hits, hits + 1);
  EXPECT_TRUE(resolver.find(repository(2)).ready());  // rebuilt from its cached document
  EXPECT_EQ(shared.images.stats().hits, hits + 1);
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

Resolution resolve_once(asio::io_context& ioc, CachingResolver& resolver) {
  std::optional<Resolution> out;
  asio::co_spawn(
      ioc, [&]() -> asio::awaitable<void> { out = co_await resolver.resolve(test_cid()); },
      asio::detached);
  ioc.restart();
  ioc.run_for(10s);
  return out.value_or(Unexpected{internal_error()});
}

// A failure that just happened is answered again, without the gateways, until its time is up.
TEST(CachingResolver, ARecentFailureIsSharedForItsTimeOnly) {
  for (RegistryError error : {manifest_unknown("the gateways have no such CID"),
                              gateway_timeout("the gateway timed out")}) {
    asio::io_context ioc;
    FailingSource source(error);
    auto now = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
    ResolverShared shared(1 << 20, 5s, [&now] { return now; });
    CachingResolver resolver(ioc.get_executor(), source, shared, 5s);
    EXPECT_EQ(resolve_once(ioc, resolver).error(), error);
    EXPECT_EQ(resolve_once(ioc, resolver).error(), error);  // the GET after the HEAD
    auto lookup = resolver.find(test_cid());
    ASSERT_TRUE(lookup.ready());
    EXPECT_EQ(lookup.ready()->error(), error);
    EXPECT_EQ(source.fetches, 1);
    now += 5s;
    EXPECT_FALSE(resolver.find(test_cid()).ready());  // and its fetch starts
    EXPECT_EQ(resolve_once(ioc, resolver).error(), error);
    EXPECT_EQ(source.fetches, 2);
  }
}

TEST(CachingResolver, NoFailureIsKeptWithoutATtl) {
  asio::io_context ioc;
  FailingSource source(manifest_unknown("no such CID"));
  ResolverShared shared(1 << 20);
  CachingResolver resolver(ioc.get_executor(), source, shared, 5s);
  resolve_once(ioc, resolver);
  resolve_once(ioc, resolver);
  EXPECT_EQ(source.fetches, 2);
  EXPECT_FALSE(resolver.find(test_cid()).ready());
}

}  // namespace
}  // namespace ocipfs
