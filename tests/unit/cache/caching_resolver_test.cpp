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
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <vector>

#include "ocipfs/base/digest.hpp"
#include "ocipfs/formats/multibase.hpp"
#include "ocipfs/http/route.hpp"
#include "ocipfs/image/image_document.hpp"
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

// Answers each fetch with the document held for its CID (a 404 for others), counting fetches.
struct DocumentSource : ContentSource {
  std::map<std::string, std::string> documents;  // by binary CID
  int fetches = 0;
  asio::awaitable<Content> fetch(const Cid& cid, DocumentKind) override {
    ++fetches;
    auto it = documents.find(cid.v1_bytes());
    if (it == documents.end()) co_return Unexpected{manifest_unknown("no such document")};
    co_return it->second;
  }
};

Resolution resolve_on(asio::io_context& ioc, CachingResolver& resolver,
                      const Repository& repository) {
  std::optional<Resolution> out;
  asio::co_spawn(
      ioc, [&]() -> asio::awaitable<void> { out = co_await resolver.resolve(repository); },
      asio::detached);
  ioc.restart();
  ioc.run_for(10s);
  return out.value_or(Unexpected{internal_error()});
}

std::string upper(std::string text) {
  for (char& c : text)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return text;
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

// A composed image's layers are layer/<cid> images in the same cache: asking for the layer, or
// for another image that names it, fetches no layer manifest again.
TEST(CachingResolver, AComposedImagesLayersAreCachedAsLayerImages) {
  asio::io_context ioc;
  DocumentSource source;
  const Cid layer = *parse_cid(testing::manifest_cid);
  source.documents[layer.v1_bytes()] = testing::layer_manifest_json();
  auto image = [&](const std::string& title) {
    nlohmann::json document = {{"mediaType", image_document_media_type},
                               {"layers", {testing::manifest_cid}},
                               {"annotations", {{"org.opencontainers.image.title", title}}}};
    const std::string text = document.dump();
    const Cid cid = digest_cid(sha256_digest(text));
    source.documents[cid.v1_bytes()] = text;
    return Repository{DocumentKind::image, cid, "image/" + cid.to_string()};
  };
  ResolverShared shared(8 << 20);
  CachingResolver resolver(ioc.get_executor(), source, shared, 5s);
  EXPECT_TRUE(resolve_on(ioc, resolver, image("one")).has_value());
  EXPECT_EQ(source.fetches, 2);  // the image document, its layer manifest
  EXPECT_TRUE(resolver.find(layer_repository(layer)).ready());
  EXPECT_TRUE(resolve_on(ioc, resolver, image("two")).has_value());
  EXPECT_EQ(source.fetches, 3);  // the second image's document only
  EXPECT_EQ(shared.images.stats().entries, 3u);
}

// A request looks its image up once: a miss joins the fetch at once, and nothing asks again; the
// warm look-up before it counts no miss of its own.
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
        // As a request does: the warm look-up by name first, then the one that joins a fetch.
        EXPECT_EQ(resolver.cached(test_cid().name), nullptr);
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

// Any cached image is found by a name as requested, whichever resolver (thread) cached it and in
// whichever accepted form the name writes its CID; names no route accepts find nothing.
TEST(CachingResolver, ACachedImageIsFoundByNameFromAnyResolver) {
  asio::io_context ioc;
  SlowSource source(0ms);
  ResolverShared shared(1 << 20);
  CachingResolver fetching(ioc.get_executor(), source, shared, 5s);
  CachingResolver other(ioc.get_executor(), source, shared, 5s);
  const Repository repository = test_cid();
  EXPECT_FALSE(other.cached(repository.name));
  EXPECT_TRUE(resolve_on(ioc, fetching, repository).has_value());
  ImagePtr found = other.cached(repository.name);
  ASSERT_TRUE(found);
  EXPECT_EQ(found, other.find(repository).ready()->value());
  const std::string base36 = "layer/k" + base36_lower_encode(repository.cid.v1_bytes());
  EXPECT_EQ(other.cached(base36), found);
  EXPECT_FALSE(other.cached("image/" + repository.cid.to_string()));  // another kind
  for (const std::string& refused :
       {"layer/B" + upper(repository.cid.to_string().substr(1)),
        "layer/z" + base58btc_encode(repository.cid.v1_bytes()), repository.name + "/x",
        "layer/" + repository.cid.to_string() + "a", "other/" + repository.cid.to_string(),
        std::string("layer/")}) {
    EXPECT_FALSE(parse_route("/v2/" + refused + "/tags/list")) << refused;
    EXPECT_FALSE(other.cached(refused)) << refused;
  }
  EXPECT_EQ(source.fetches, 1);
}

// 20,000 distinct layer images all stay cached: a second pass over them fetches nothing, and each
// is found warm by its name.
TEST(CachingResolver, TwentyThousandLayerImagesStayCached) {
  constexpr int images = 20'000;
  asio::io_context ioc;
  SlowSource source(0ms);
  std::vector<Repository> repositories;
  for (int i = 0; i < images; ++i) {
    Cid cid = digest_cid(sha256_digest("layer manifest " + std::to_string(i)));
    repositories.push_back({DocumentKind::layer, cid, "layer/" + cid.to_string()});
  }
  ResolverShared shared(std::size_t{1} << 30);
  CachingResolver resolver(ioc.get_executor(), source, shared, 5s);
  for (const auto& repository : repositories)
    ASSERT_TRUE(resolve_on(ioc, resolver, repository).has_value());
  EXPECT_EQ(source.fetches, images);
  std::printf("[ weighing ] %d layer images hold %zu bytes of the cache, %zu each\n", images,
              shared.images.stats().bytes, shared.images.stats().bytes / images);
  int warm = 0;
  for (const auto& repository : repositories) {
    warm += resolver.cached(repository.name) != nullptr;
    ASSERT_TRUE(resolver.find(repository).ready());
  }
  EXPECT_EQ(warm, images);
  EXPECT_EQ(source.fetches, images);
  EXPECT_EQ(shared.fetches(), static_cast<std::uint64_t>(images));
  EXPECT_EQ(shared.images.stats().entries, static_cast<std::size_t>(images));
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
