// Property test: every document of random synthesized images, written by the canonical writer,
// is byte for byte the dump() of the JSON value built the way images were first built (a
// reference builder kept here, on nlohmann), hashes to its digest and has its size, as the
// image renders it from its facts. The seed is
// fixed; OCIPFS_PROPERTY_SEED varies it.
#include "ocipfs/image/document_writer.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <random>

#include "ocipfs/base/digest.hpp"
#include "ocipfs/image/image.hpp"
#include "support/rendered_checks.hpp"
#include "support/rendered_image.hpp"
#include "support/test_data.hpp"

namespace ocipfs {
namespace {

using nlohmann::json;

// The reference builder: the documents as nlohmann values.
json platform_json(const Platform& platform) {
  json out = {{"architecture", platform.architecture}, {"os", platform.os}};
  if (!platform.variant.empty()) out["variant"] = platform.variant;
  return out;
}

json config_json(const testing::RenderedImage& image, const Platform& platform,
                 const json& container) {
  json config = platform_json(platform);
  config["config"] = container;
  json diff_ids = json::array(), history = json::array();
  for (std::size_t i = 0; i < image.layers.size(); ++i) {
    diff_ids.push_back(image.layers[i].diff_id);
    history.push_back({{"created_by", "ocipfs layer/" + image.layer_manifests[i]}});
  }
  config["history"] = std::move(history);
  config["rootfs"] = {{"type", "layers"}, {"diff_ids", std::move(diff_ids)}};
  return config;
}

json manifest_json(const testing::RenderedImage& image, const testing::RenderedBlob& config,
                   const json& annotations) {
  json layers = json::array();
  for (const auto& layer : image.layers)
    layers.push_back({{"mediaType", layer.media_type},
                      {"digest", layer.digest},
                      {"size", layer.size},
                      {"annotations",
                       {{std::string(ipfs_cid_annotation), layer.ipfs_path},
                        {std::string(fs_digest_annotation), layer.diff_id}}}});
  json manifest = {{"schemaVersion", 2},
                   {"mediaType", oci_manifest_media_type},
                   {"config",
                    {{"mediaType", oci_config_media_type},
                     {"digest", config.digest},
                     {"size", config.bytes.size()}}},
                   {"layers", std::move(layers)}};
  if (!annotations.empty()) manifest["annotations"] = annotations;
  return manifest;
}

json index_json(const testing::RenderedImage& image) {
  json manifests = json::array();
  for (const auto& each : image.platforms)
    manifests.push_back({{"mediaType", oci_manifest_media_type},
                         {"digest", each.manifest.digest},
                         {"size", each.manifest.bytes.size()},
                         {"platform", platform_json(each.platform)}});
  return {{"schemaVersion", 2}, {"mediaType", oci_index_media_type}, {"manifests", manifests}};
}

void expect_document(const testing::RenderedBlob& blob, const json& reference) {
  ASSERT_EQ(blob.bytes, reference.dump());
  ASSERT_EQ(blob.digest, sha256_digest(reference.dump()));
}

// Every document of `image` against the reference, and, as the image renders it, of its stored
// size and digest and found by that digest.
void expect_reference_documents(const Image& facts, const json& container,
                                const json& annotations) {
  const testing::RenderedImage image(facts);
  for (const auto& each : image.platforms) {
    expect_document(each.config, config_json(image, each.platform, container));
    expect_document(each.manifest, manifest_json(image, each.config, annotations));
    ASSERT_EQ(image.config_by_digest(each.config.digest), &each.config);
    ASSERT_EQ(image.manifest_by_digest(each.manifest.digest), &each.manifest);
  }
  expect_document(image.index, index_json(image));
  ASSERT_EQ(image.manifest_by_digest(image.index.digest), &image.index);
  testing::expect_rendered_as_stored(facts);
}

unsigned seed() {
  const char* text = std::getenv("OCIPFS_PROPERTY_SEED");
  return text ? static_cast<unsigned>(std::strtoul(text, nullptr, 10)) : 31u;
}

class Random {
 public:
  explicit Random(unsigned seed) : engine_(seed) {}
  std::size_t below(std::size_t n) { return engine_() % n; }
  template <typename T>
  const T& pick(const std::vector<T>& from) {
    return from[below(from.size())];
  }
  // Text of `pieces`: escapes, non-ASCII UTF-8 and plain bytes.
  std::string text(const std::vector<std::string>& pieces, std::size_t most) {
    std::string out = pick(pieces);
    for (auto n = below(most); n > 0; --n) out += pick(pieces);
    return out;
  }
  std::string digest() {
    std::string bytes(8, '\0');
    for (auto& c : bytes) c = static_cast<char>(below(256));
    return sha256_digest(bytes);
  }

 private:
  std::mt19937_64 engine_;
};

const std::vector<std::string> segment_pieces = {
    "\"", "é", "日本", "a", " ", "%", "'", "<", "\u2028", "\xf0\x9f\x90\xb3", "x.tar", "-"};
const std::vector<std::string> text_pieces = {"\"", "\\",   "\b",     "\f",   "\n", "\r",
                                              "\t", "\x01", "\x1f",   "\x7f", "a",  "/",
                                              "é",  "日",   "\u2028", " "};
const std::vector<std::string> layer_types = {"application/vnd.oci.image.layer.v1.tar",
                                              "application/vnd.oci.image.layer.v1.tar+gzip",
                                              "application/vnd.oci.image.layer.v1.tar+zstd",
                                              "application/vnd.docker.image.rootfs.diff.tar.gzip"};
const std::vector<Platform> platforms = {{"linux", "amd64", ""},
                                         {"linux", "arm64", "v8"},
                                         {"windows", "386", ""},
                                         {"freebsd", "s390x", ""}};

json random_layer_manifest(Random& random, const std::optional<Platform>& platform) {
  std::string path = testing::layer_dir_cid;
  for (auto n = random.below(3); n > 0; --n) path += "/" + random.text(segment_pieces, 5);
  if (random.below(2)) path += "/" + random.text({"a", "B", "0", "_"}, 6) + ".tar.gz";
  json layer = {{"mediaType", random.pick(layer_types)},
                {"digest", random.digest()},
                {"size", random.below(8) == 0 ? 0 : random.below(std::size_t{1} << 53)},
                {"annotations",
                 {{std::string(ipfs_cid_annotation), path},
                  {std::string(fs_digest_annotation), random.digest()}}}};
  json out = {{"mediaType", layer_manifest_media_type}, {"layer", layer}};
  if (platform) out["platform"] = platform_json(*platform);
  return out;
}

std::optional<Platform> random_platform(Random& random) {
  if (random.below(2)) return std::nullopt;
  return random.pick(platforms);
}

TEST(DocumentWriter, LayerImagesAreTheReferenceDocuments) {
  Random random(seed());
  for (int i = 0; i < 2000; ++i) {
    auto layer =
        parse_layer_manifest(random_layer_manifest(random, random_platform(random)).dump());
    ASSERT_TRUE(layer) << layer.error();
    Image image = synthesize_image(testing::manifest_cid, std::move(*layer));
    expect_reference_documents(image, json::object(), json::object());
    if (HasFatalFailure()) return;
  }
}

ContainerConfig random_container_config(Random& random) {
  ContainerConfig config;
  if (random.below(2)) config.entrypoint = std::vector<std::string>{random.text(text_pieces, 6)};
  if (random.below(2)) config.cmd = std::vector<std::string>{};
  for (auto n = random.below(3); n > 0; --n)
    config.env.push_back("K=" + random.text(text_pieces, 6));
  if (random.below(2)) config.working_dir = "/" + random.text(text_pieces, 4);
  if (random.below(2)) config.user = random.text(text_pieces, 3);
  if (random.below(2)) config.exposed_ports = {"443/tcp", "80/tcp"};
  if (random.below(2)) config.volumes = {"/data", "/é"};
  for (auto n = random.below(3); n > 0; --n)
    config.labels[random.text(text_pieces, 3)] = random.text(text_pieces, 5);
  if (random.below(2)) config.stop_signal = "SIGTERM";
  return config;
}

Cid random_cid(Random& random) {
  std::string digest(32, '\0');
  for (auto& c : digest) c = static_cast<char>(random.below(256));
  return Cid{1, multicodec::raw, multihash::sha2_256, digest};
}

TEST(DocumentWriter, ComposedImagesAreTheReferenceDocuments) {
  Random random(seed() + 1);
  for (int i = 0; i < 300; ++i) {
    ImageDocument document;
    document.platform = random_platform(random);
    std::vector<LayerManifest> layers;
    for (auto n = 1 + random.below(i % 10 == 0 ? max_image_layers : 4); n > 0; --n) {
      std::optional<Platform> platform;
      if (document.platform && random.below(2)) platform = document.platform;
      auto layer = parse_layer_manifest(random_layer_manifest(random, platform).dump());
      ASSERT_TRUE(layer) << layer.error();
      layers.push_back(std::move(*layer));
      document.layers.push_back(random_cid(random));
    }
    document.config = random_container_config(random);
    for (auto n = random.below(4); n > 0; --n)
      document.annotations[random.text(text_pieces, 4)] = random.text(text_pieces, 6);
    if (random.below(2)) document.tag = random.text({"a", "B", "0", "_", ".", "-"}, 10);
    auto image = compose_image("bafkreitest", document, std::move(layers));
    ASSERT_TRUE(image) << image.error();
    expect_reference_documents(*image, json::parse(container_config_json(document.config)),
                               json(document.annotations));
    if (HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace ocipfs
