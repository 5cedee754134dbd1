// image/<cid> through the whole server and through the caching resolver: the route table of
// layer/<cid>, layers redirected one by one, each layer manifest fetched once however many images
// name it, a bounded number at once, and failures that name the layer.
#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <map>

#include "ocipfs/cache/caching_resolver.hpp"
#include "ocipfs/image/image_document.hpp"
#include "support/server_fixture.hpp"

namespace ocipfs {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

std::string image_document(const std::vector<std::string>& layers, json extra = json::object()) {
  json out = {{"mediaType", image_document_media_type}, {"layers", layers}};
  for (auto& [key, value] : extra.items()) out[key] = value;
  return out.dump();
}

class ImageServerTest : public ServerTest {
 protected:
  std::string base = cid;  // the fixture's layer manifest: hello.tar.gz
  std::string app = publish(testing::layer_manifest_json("app.tar.gz"));
  std::string image_cid = publish(
      image_document({base, app}, {{"config", {{"Env", {"GREETING=hi"}}}}, {"tag", "app-1"}}));
  std::string image_repo = "/v2/image/" + image_cid;

  json manifest_of(const std::string& reference) {
    auto result = get(image_repo + "/manifests/" + reference, "GET",
                      {{"Accept", "application/vnd.oci.image.manifest.v1+json"}});
    EXPECT_EQ(result.status, 200) << result.body;
    return json::parse(result.body);
  }
};

TEST_F(ImageServerTest, ManifestsByTagAndDigest) {
  json manifest = manifest_of("latest");
  ASSERT_EQ(manifest["layers"].size(), 2u);
  EXPECT_EQ(manifest["layers"][0]["annotations"][std::string(ipfs_cid_annotation)],
            testing::layer_dir_cid + "/hello.tar.gz");
  EXPECT_EQ(manifest["layers"][1]["annotations"][std::string(ipfs_cid_annotation)],
            testing::layer_dir_cid + "/app.tar.gz");
  EXPECT_EQ(manifest_of("app-1"), manifest);

  auto index = get(image_repo + "/manifests/latest", "GET", {{"Accept", accept_all}});
  ASSERT_EQ(index.status, 200);
  EXPECT_EQ(index.header("content-type"), oci_index_media_type);
  std::string digest = index.header("docker-content-digest");
  auto by_digest = get(image_repo + "/manifests/" + digest, "GET", {{"Accept", accept_all}});
  EXPECT_EQ(by_digest.status, 200);
  EXPECT_EQ(by_digest.body, index.body);
  EXPECT_NE(by_digest.header("cache-control").find("immutable"), std::string::npos);

  auto head = get(image_repo + "/manifests/latest", "HEAD", {{"Accept", accept_all}});
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.header("content-length"), std::to_string(index.body.size()));
  auto again = get(image_repo + "/manifests/" + digest, "GET",
                   {{"Accept", accept_all}, {"If-None-Match", "\"" + digest + "\""}});
  EXPECT_EQ(again.status, 304);
  EXPECT_EQ(get(image_repo + "/manifests/other").status, 404);
}

TEST_F(ImageServerTest, TagsListAndWrites) {
  auto tags = get(image_repo + "/tags/list");
  ASSERT_EQ(tags.status, 200);
  EXPECT_EQ(json::parse(tags.body)["tags"], json({"app-1", "latest"}));
  EXPECT_EQ(json::parse(tags.body)["name"], "image/" + image_cid);
  std::string digest = manifest_of("latest")["config"]["digest"];
  auto referrers = get(image_repo + "/referrers/" + digest);
  EXPECT_EQ(referrers.status, 200);
  EXPECT_EQ(json::parse(referrers.body)["manifests"], json::array());
  auto put = get(image_repo + "/manifests/latest", "PUT");
  EXPECT_EQ(put.status, 405);
  EXPECT_EQ(error_code(put), "UNSUPPORTED");
}

TEST_F(ImageServerTest, ConfigAndLayerBlobs) {
  json manifest = manifest_of("latest");
  auto config = get(image_repo + "/blobs/" + manifest["config"]["digest"].get<std::string>());
  ASSERT_EQ(config.status, 200);
  EXPECT_EQ(json::parse(config.body)["config"]["Env"], json({"GREETING=hi"}));
  EXPECT_EQ(json::parse(config.body)["history"][1]["created_by"], "ocipfs layer/" + app);
  // Both layers share a digest in the test data: each blob is the first layer of that digest.
  std::string layer_digest = manifest["layers"][1]["digest"];
  auto blob = get(image_repo + "/blobs/" + layer_digest);
  EXPECT_EQ(blob.status, 302);
  EXPECT_NE(blob.header("location").find("/ipfs/" + testing::layer_dir_cid), std::string::npos);
  auto head = get(image_repo + "/blobs/" + layer_digest, "HEAD");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.header("content-length"), "1234");
}

TEST_F(ImageServerTest, EachLayerManifestIsFetchedOnce) {
  std::string other = publish(image_document({base, app, base}));
  EXPECT_EQ(get(image_repo + "/manifests/latest").status, 200);
  auto second = get("/v2/image/" + other + "/manifests/latest");
  EXPECT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(get(repo + "/manifests/latest").status, 200);  // layer/<base> is the same document
  EXPECT_EQ(gateway.request_count("/ipfs/" + base), 1u);
  EXPECT_EQ(gateway.request_count("/ipfs/" + app), 1u);
  EXPECT_EQ(gateway.request_count("/ipfs/" + image_cid), 1u);
}

TEST_F(ImageServerTest, ALayerThatIsNoLayerManifestIsNamed) {
  std::string stray = publish(R"({"hello": "world"})");
  std::string bad = publish(image_document({base, stray}));
  auto result = get("/v2/image/" + bad + "/manifests/latest");
  EXPECT_EQ(result.status, 404);
  EXPECT_EQ(error_code(result), "MANIFEST_INVALID");
  EXPECT_EQ(error_message(result).rfind("layer 2 of image " + bad + " (" + stray + "): ", 0), 0u)
      << error_message(result);
}

TEST_F(ImageServerTest, AMissingLayerHasTheStatusItWouldHaveAlone) {
  std::string missing = testing::raw_cid_of("never stored");
  std::string bad = publish(image_document({base, missing}));
  auto alone = get("/v2/layer/" + missing + "/manifests/latest");
  auto result = get("/v2/image/" + bad + "/manifests/latest");
  EXPECT_EQ(result.status, alone.status);
  EXPECT_EQ(error_code(result), error_code(alone));
  EXPECT_EQ(error_message(result),
            "layer 2 of image " + bad + " (" + missing + "): " + error_message(alone));
}

TEST_F(ImageServerTest, InvalidDocumentsAreNamed) {
  std::vector<std::string> layers(128, base);
  std::string big = publish(image_document(layers));
  auto result = get("/v2/image/" + big + "/manifests/latest");
  EXPECT_EQ(result.status, 404);
  EXPECT_EQ(error_message(result), "image document " + big +
                                       " is invalid: layers has 128 entries; at most 127 are "
                                       "allowed (containerd's limit)");
  // A layer manifest is not an image document, and the message says where it is served.
  auto layer = get("/v2/image/" + base + "/manifests/latest");
  EXPECT_EQ(error_code(layer), "MANIFEST_INVALID");
  EXPECT_NE(error_message(layer).find("layer/<CID>"), std::string::npos);
}

// --- the caching resolver on its own ----------------------------------------------------------

namespace asio = boost::asio;

// Serves documents by CID after `delay`, counting fetches and how many run at once.
struct MapSource : ContentSource {
  std::map<std::string, std::string> documents;  // by CIDv1 text
  std::map<std::string, int> fetches;
  int running = 0;
  int most_at_once = 0;
  std::chrono::milliseconds delay{20};

  std::string add(const std::string& bytes) {
    std::string id = testing::raw_cid_of(bytes);
    documents[id] = bytes;
    return id;
  }
  asio::awaitable<Content> fetch(const Cid& cid, DocumentKind) override {
    std::string id = cid.to_string();
    ++fetches[id];
    most_at_once = std::max(most_at_once, ++running);
    asio::steady_timer timer(co_await asio::this_coro::executor, delay);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    --running;
    auto it = documents.find(id);
    if (it == documents.end()) co_return Unexpected{bad_gateway("not found")};
    co_return it->second;
  }
};

Resolution resolve_now(asio::io_context& ioc, CachingResolver& resolver, const std::string& image) {
  std::optional<Resolution> out;
  Repository repository{DocumentKind::image, *parse_cid(image), "image/" + image};
  asio::co_spawn(
      ioc, [&]() -> asio::awaitable<void> { out = co_await resolver.resolve(repository); },
      asio::detached);
  ioc.restart();
  ioc.run_for(30s);
  return out.value_or(Unexpected{internal_error()});
}

TEST(ImageResolver, LayersAreFetchedABoundedNumberAtOnceAndOnce) {
  MapSource source;
  std::vector<std::string> layers;
  for (int i = 0; i < 100; ++i)
    layers.push_back(source.add(testing::layer_manifest_json("l" + std::to_string(i) + ".tar")));
  std::string image = source.add(image_document(layers));
  ResolverShared shared(64 << 20);
  asio::io_context ioc;
  CachingResolver resolver(ioc.get_executor(), source, shared, 10s);
  Resolution result = resolve_now(ioc, resolver, image);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ((*result)->layers().size(), 100u);
  EXPECT_EQ((*result)->layer_manifest(42).path.file_name(), "l42.tar");
  EXPECT_EQ(source.most_at_once, static_cast<int>(layer_resolutions_at_once));
  for (const auto& [id, count] : source.fetches) EXPECT_EQ(count, 1) << id;
  EXPECT_EQ(source.fetches.size(), 101u);

  // Cached: answered without waiting.
  Repository repository{DocumentKind::image, *parse_cid(image), "image/" + image};
  auto lookup = resolver.find(repository);
  const Resolution* cached = lookup.ready();
  ASSERT_TRUE(cached && *cached);
  EXPECT_EQ((**cached)->index()->digest, (*result)->index()->digest);
}

TEST(ImageResolver, AFailedLayerIsNotCachedAndIsRetried) {
  MapSource source;
  std::string base = source.add(testing::layer_manifest_json());
  std::string missing = testing::raw_cid_of("later");
  std::string image = source.add(image_document({base, missing}));
  ResolverShared shared(1 << 20);
  asio::io_context ioc;
  CachingResolver resolver(ioc.get_executor(), source, shared, 10s);
  Resolution first = resolve_now(ioc, resolver, image);
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().status, 502u);
  EXPECT_NE(first.error().message.find("layer 2 of image " + image), std::string::npos);

  source.documents[missing] = testing::layer_manifest_json("late.tar");
  Resolution second = resolve_now(ioc, resolver, image);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(source.fetches[base], 1);  // a layer image, cached
  // The image was not: its document is read again (documents are not cached as bytes).
  EXPECT_EQ(source.fetches[image], 2);
  EXPECT_EQ(source.fetches[missing], 2);
}

// Every layer at hand: the workers run to their end inside co_spawn, before any waiting.
TEST(ImageResolver, AnImageOfCachedLayers) {
  MapSource source;
  std::string base = source.add(testing::layer_manifest_json());
  std::string app = source.add(testing::layer_manifest_json("app.tar"));
  std::string first = source.add(image_document({base, app}));
  std::string second = source.add(image_document({base, app, base}));
  ResolverShared shared(1 << 20);
  asio::io_context ioc;
  CachingResolver resolver(ioc.get_executor(), source, shared, 2s);
  ASSERT_TRUE(resolve_now(ioc, resolver, first));
  Resolution result = resolve_now(ioc, resolver, second);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(source.fetches[base], 1);
}

// Four waves of slow layer manifests take longer than one fetch's wait: the image's request waits
// for each step.
TEST(ImageResolver, AnImageWaitsForEachWaveOfItsLayers) {
  MapSource source;
  source.delay = 150ms;
  std::vector<std::string> layers;
  for (int i = 0; i < 100; ++i)
    layers.push_back(source.add(testing::layer_manifest_json("w" + std::to_string(i) + ".tar")));
  std::string image = source.add(image_document(layers));
  ResolverShared shared(64 << 20);
  asio::io_context ioc;
  CachingResolver resolver(ioc.get_executor(), source, shared, 400ms);
  Resolution result = resolve_now(ioc, resolver, image);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ((*result)->layers().size(), 100u);
}

}  // namespace
}  // namespace ocipfs
