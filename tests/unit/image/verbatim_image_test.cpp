// The verbatim image: an existing image's index, manifests and configs served byte for byte with
// their own media types, from raw blocks named by their digests, and never a byte that does not
// hash to the digest.
#include "ocipfs/image/verbatim_image.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <thread>

#include "ocipfs/base/digest.hpp"
#include "ocipfs/cache/resolver.hpp"
#include "support/rendered_checks.hpp"
#include "support/rendered_image.hpp"
#include "support/server_fixture.hpp"

namespace ocipfs {
namespace {

using nlohmann::json;

const std::string layer_one = "sha256:" + std::string(64, 'a');
const std::string layer_two = "sha256:" + std::string(64, 'b');
const std::string path_one = testing::layer_dir_cid + "/one.tar.gz";
const std::string path_two = testing::raw_cid_of("layer two");

// Whitespace and key order as another tool wrote them: kept, never re-serialized.
std::string config_for(const std::string& architecture) {
  return "{\n  \"os\": \"linux\",\n  \"architecture\": \"" + architecture +
         "\",\n  \"rootfs\": {\"type\": \"layers\", \"diff_ids\": []},\n  \"config\": {\"Cmd\": "
         "[\"/bin/sh\"]}\n}\n";
}

std::string manifest_for(const std::string& config, const std::string& media_type,
                         const std::vector<std::string>& layers) {
  std::string out = "{\"schemaVersion\": 2, \"mediaType\": \"" + media_type +
                    "\", \"config\": {\"mediaType\": \"application/vnd.docker.container.image.v1+"
                    "json\", \"digest\": \"" +
                    sha256_digest(config) + "\", \"size\": " + std::to_string(config.size()) +
                    "}, \"layers\": [";
  for (std::size_t i = 0; i < layers.size(); ++i)
    out += std::string(i ? ", " : "") +
           "{\"mediaType\": \"application/vnd.docker.image.rootfs.diff.tar.gzip\", \"digest\": \"" +
           layers[i] + "\", \"size\": 1234}";
  return out + "]}";
}

std::string index_entry(const std::string& manifest, const std::string& architecture) {
  return "{\"mediaType\": \"" + std::string(docker_manifest_media_type) + "\", \"digest\": \"" +
         sha256_digest(manifest) + "\", \"size\": " + std::to_string(manifest.size()) +
         ", \"platform\": {\"os\": \"linux\", \"architecture\": \"" + architecture + "\"}}";
}

struct Source {
  std::string amd64_config = config_for("amd64");
  std::string arm64_config = config_for("arm64");
  std::string amd64 =
      manifest_for(amd64_config, std::string(docker_manifest_media_type), {layer_one});
  std::string arm64 =
      manifest_for(arm64_config, std::string(docker_manifest_media_type), {layer_one, layer_two});
  // arm64 first: clients that take no index still get linux/amd64.
  std::string index = "{\"schemaVersion\": 2, \"mediaType\": \"" +
                      std::string(docker_manifest_list_media_type) + "\", \"manifests\": [" +
                      index_entry(arm64, "arm64") + ", " + index_entry(amd64, "amd64") + "]}";

  VerbatimDocument document(const std::string& top, std::string_view media_type) const {
    VerbatimDocument out;
    out.manifest = {std::string(media_type), sha256_digest(top), top.size()};
    out.layers = {{layer_one, path_one}, {layer_two, path_two}};
    out.tag = "v1";
    return out;
  }
  std::map<std::string, std::string> blobs() const {
    std::map<std::string, std::string> out;
    for (const auto* blob : {&amd64_config, &arm64_config, &amd64, &arm64, &index})
      out[sha256_digest(*blob)] = *blob;
    return out;
  }
};

TEST(VerbatimDocument, RoundTripAndRefusals) {
  Source source;
  VerbatimDocument document = source.document(source.index, docker_manifest_list_media_type);
  std::string text = verbatim_document_json(document);
  auto parsed = parse_verbatim_document(text);
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_EQ(parsed->manifest, document.manifest);
  EXPECT_EQ(parsed->layers, document.layers);
  EXPECT_EQ(parsed->tag, "v1");
  EXPECT_EQ(declared_media_type(text), verbatim_image_media_type);

  json value = json::parse(text);
  auto refusal = [&](const std::string& pointer, json replacement) {
    json changed = value;
    changed[json::json_pointer(pointer)] = std::move(replacement);
    auto result = parse_verbatim_document(changed.dump());
    return result ? std::string("(accepted)") : result.error();
  };
  EXPECT_EQ(refusal("/manifest/mediaType", "text/plain"),
            "manifest.mediaType \"text/plain\" is not an OCI or Docker image index or manifest");
  EXPECT_NE(refusal("/manifest/digest", "sha256:AB").find("manifest.digest must be"),
            std::string::npos);
  EXPECT_NE(refusal("/manifest/size", 2 * 1024 * 1024).find("manifest.size must be"),
            std::string::npos);
  EXPECT_NE(refusal("/layers/" + layer_one, "../x").find("is not an IPFS path"), std::string::npos);
  EXPECT_NE(refusal("/tag", "-x").find("tag must be an OCI tag"), std::string::npos);
  EXPECT_EQ(digest_cid(sha256_digest("x")).to_string(), testing::raw_cid_of("x"));
}

TEST(VerbatimImage, AnIndexIsKeptByteForByte) {
  Source source;
  auto image = verbatim_image(
      "bafyimage", source.document(source.index, docker_manifest_list_media_type), source.blobs());
  ASSERT_TRUE(image) << image.error();
  const testing::RenderedImage kept{*image};
  testing::expect_rendered_as_stored(*image);
  {  // a copy keeps its own bytes
    auto copy = std::make_unique<Image>(*image);
    testing::expect_rendered_as_stored(*copy);
    EXPECT_EQ(testing::RenderedImage(*copy).index.bytes, source.index);
  }
  EXPECT_EQ(kept.index.bytes, source.index);
  EXPECT_EQ(kept.index.digest, sha256_digest(source.index));
  EXPECT_EQ(kept.index.media_type, docker_manifest_list_media_type);
  ASSERT_EQ(kept.platforms.size(), 2u);
  EXPECT_EQ(kept.default_platform().platform.architecture, "amd64");
  EXPECT_EQ(kept.default_platform().manifest.bytes, source.amd64);
  EXPECT_EQ(kept.default_platform().config.bytes, source.amd64_config);
  EXPECT_EQ(kept.default_platform().config.media_type,
            "application/vnd.docker.container.image.v1+json");
  EXPECT_EQ(kept.layers.size(), 2u);  // layer one is shared: once
  EXPECT_EQ(kept.layer_by_digest(layer_two)->ipfs_path, path_two);
  EXPECT_EQ(kept.tags, (std::vector<std::string>{"latest", "v1"}));
}

TEST(VerbatimImage, ASingleManifestHasNoIndex) {
  Source source;
  auto image = verbatim_image(
      "bafyimage", source.document(source.amd64, docker_manifest_media_type), source.blobs());
  ASSERT_TRUE(image) << image.error();
  const testing::RenderedImage kept{*image};
  EXPECT_FALSE(kept.has_index());
  EXPECT_EQ(kept.platforms.size(), 1u);
  EXPECT_EQ(kept.default_platform().platform, (Platform{"linux", "amd64", ""}));
}

TEST(VerbatimImage, RefusalsNameTheBlob) {
  Source source;
  VerbatimDocument document = source.document(source.index, docker_manifest_list_media_type);
  document.layers.erase(layer_two);
  auto image = verbatim_image("bafyimage", document, source.blobs());
  ASSERT_FALSE(image);
  EXPECT_EQ(image.error(), "manifest " + sha256_digest(source.arm64) + " names the layer " +
                               layer_two + ", which the document gives no IPFS path");

  VerbatimDescriptor twice{std::string(oci_manifest_media_type), sha256_digest("{}"), 2};
  EXPECT_EQ(linked_documents(twice, R"({"layers": [], "layers": []})").error(),
            std::string(oci_manifest_media_type) + " " + twice.digest +
                " could not be read: it has the key \"layers\" twice in one object");

  VerbatimDescriptor config{"application/json", sha256_digest("{}"), 2};
  EXPECT_TRUE(linked_documents(config, "{}")->empty());
  VerbatimDescriptor index{std::string(oci_index_media_type), sha256_digest("[]"), 2};
  EXPECT_EQ(linked_documents(index, "[]").error(),
            std::string(oci_index_media_type) + " " + index.digest + " is not a JSON object");
}

// --- through the server ---------------------------------------------------------------------

class VerbatimServerTest : public ServerTest {
 protected:
  Source source;
  std::string image_cid;
  std::string image_repo;

  void SetUp() override {
    ServerTest::SetUp();
    for (const auto& [digest, bytes] : source.blobs()) publish(bytes);
    image_cid = publish(
        verbatim_document_json(source.document(source.index, docker_manifest_list_media_type)));
    image_repo = "/v2/image/" + image_cid;
  }
};

// The probe's case: an index of 100 manifests (201 documents) behind a gateway that takes 100 ms
// for each answer. One at a time, that was 20.5 s; fetched as soon as they are named, 64 at a
// time, it is a handful of round trips.
TEST_F(ServerTest, AVerbatimImagesDocumentsAreFetchedManyAtOnce) {
  constexpr int manifests = 100;
  constexpr auto latency = std::chrono::milliseconds(100);
  auto publish_slowly = [&](const std::string& bytes) {
    gateway.set("/ipfs/" + testing::raw_cid_of(bytes),
                {testing::FakeReply::Kind::respond, 200, bytes, {}, latency});
  };
  std::string entries;
  for (int i = 0; i < manifests; ++i) {
    std::string architecture = "arch" + std::to_string(i);
    std::string config = config_for(architecture);
    std::string manifest =
        manifest_for(config, std::string(docker_manifest_media_type), {layer_one});
    publish_slowly(config);
    publish_slowly(manifest);
    entries += (i ? ", " : "") + index_entry(manifest, architecture);
  }
  std::string index = "{\"schemaVersion\": 2, \"mediaType\": \"" +
                      std::string(oci_index_media_type) + "\", \"manifests\": [" + entries + "]}";
  publish_slowly(index);
  VerbatimDocument document;
  document.manifest = {std::string(oci_index_media_type), sha256_digest(index), index.size()};
  document.layers = {{layer_one, path_one}};
  std::string image_cid = publish(verbatim_document_json(document));

  auto started = std::chrono::steady_clock::now();
  auto answer = get("/v2/image/" + image_cid + "/manifests/latest", "GET",
                    {{"Accept", std::string(oci_index_media_type)}});
  auto took = std::chrono::steady_clock::now() - started;
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(answer.body, index);
  std::printf(
      "[ verbatim ] %d manifests, %lld ms a document: %lld ms cold, %zu gateway "
      "connections at once\n",
      manifests, static_cast<long long>(latency.count()),
      static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()),
      gateway.max_open_connections());
  EXPECT_GE(gateway.max_open_connections(), verbatim_fetches_at_once);
  EXPECT_LT(took, 40 * latency) << "one at a time takes " << 2 * manifests + 1 << " round trips";
}

// Two verbatim images asked for at once (the same index under two tags) fetch each of the
// documents they share once: fetches of a document coalesce as resolutions of an image do.
TEST_F(ServerTest, DocumentsSharedByImagesInFlightAreFetchedOnce) {
  Source source;
  for (const auto& [digest, bytes] : source.blobs())
    gateway.set(
        "/ipfs/" + testing::raw_cid_of(bytes),
        {testing::FakeReply::Kind::respond, 200, bytes, {}, std::chrono::milliseconds(200)});
  std::vector<std::string> repos;
  for (const char* tag : {"one", "two"}) {
    VerbatimDocument document = source.document(source.index, docker_manifest_list_media_type);
    document.tag = tag;
    repos.push_back("/v2/image/" + publish(verbatim_document_json(document)));
  }
  std::vector<unsigned> statuses(repos.size());
  std::vector<std::thread> clients;
  for (std::size_t i = 0; i < repos.size(); ++i)
    clients.emplace_back([&, i] {
      statuses[i] = get(repos[i] + "/manifests/latest", "GET", {{"Accept", accept_all}}).status;
    });
  for (auto& client : clients) client.join();
  EXPECT_EQ(statuses, (std::vector<unsigned>{200, 200}));
  for (const auto& [digest, bytes] : source.blobs())
    EXPECT_EQ(gateway.request_count("/ipfs/" + testing::raw_cid_of(bytes)), 1u) << digest;
}

TEST_F(VerbatimServerTest, ServesTheIndexManifestsAndConfigsUnchanged) {
  auto index = get(image_repo + "/manifests/v1", "GET",
                   {{"Accept", std::string(docker_manifest_list_media_type)}});
  ASSERT_EQ(index.status, 200) << index.body;
  EXPECT_EQ(index.body, source.index);
  EXPECT_EQ(index.header("content-type"), docker_manifest_list_media_type);
  EXPECT_EQ(index.header("docker-content-digest"), sha256_digest(source.index));

  auto amd64 = get(image_repo + "/manifests/latest", "GET",
                   {{"Accept", std::string(docker_manifest_media_type)}});
  ASSERT_EQ(amd64.status, 200);
  EXPECT_EQ(amd64.body, source.amd64);
  EXPECT_EQ(amd64.header("content-type"), docker_manifest_media_type);

  auto arm64 = get(image_repo + "/manifests/" + sha256_digest(source.arm64));
  EXPECT_EQ(arm64.body, source.arm64);
  auto config = get(image_repo + "/blobs/" + sha256_digest(source.arm64_config));
  EXPECT_EQ(config.status, 200);
  EXPECT_EQ(config.body, source.arm64_config);
  auto layer = get(image_repo + "/blobs/" + layer_two);
  EXPECT_EQ(layer.status, 302);
  EXPECT_NE(layer.header("location").find("/ipfs/" + path_two), std::string::npos);
}

TEST_F(VerbatimServerTest, BytesThatDoNotHashToTheDigestAreNeverServed) {
  std::string digest = sha256_digest(source.arm64);
  testing::FakeReply lie;
  lie.body = source.amd64;
  gateway.set("/ipfs/" + digest_cid(digest).to_string(), lie);
  auto lied = get(image_repo + "/manifests/" + digest);
  EXPECT_EQ(lied.status, 502) << lied.body;
  EXPECT_NE(error_message(lied).find(digest), std::string::npos) << error_message(lied);
  // Not cached: once the gateway tells the truth, the image is served.
  gateway.serve_cid(digest_cid(digest).to_string(), source.arm64);
  auto honest = get(image_repo + "/manifests/" + digest);
  EXPECT_EQ(honest.status, 200);
  EXPECT_EQ(honest.body, source.arm64);
}

}  // namespace
}  // namespace ocipfs
