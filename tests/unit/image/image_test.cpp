#include "ocipfs/image/image.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "ocipfs/base/digest.hpp"
#include "support/rendered_checks.hpp"
#include "support/rendered_image.hpp"
#include "support/test_data.hpp"

namespace ocipfs {
namespace {

using nlohmann::json;

testing::RenderedImage example_image(const std::string& extra = "") {
  auto layer = parse_layer_manifest(testing::layer_manifest_json("hello.tar.gz", extra));
  EXPECT_TRUE(layer);
  return testing::RenderedImage{synthesize_image(testing::manifest_cid, std::move(*layer))};
}

// Users pin name@digest: these digests must never change. A change here breaks their builds.
TEST(Image, GoldenDigests) {
  testing::RenderedImage image = example_image();
  EXPECT_EQ(image.index.digest,
            "sha256:24c95bc84df7d13180450c8ebafa84309ea7e16963032a65e4d1880770357f2d");
  EXPECT_EQ(image.default_platform().manifest.digest,
            "sha256:56e9e7226b2c330fa9eb6f92e5bd77507bbbf4582abe70df872e321a7c758b25");
  EXPECT_EQ(image.default_platform().config.digest,
            "sha256:f55e05c6feb6e9d1007525d30a22b73407b36c95009d0df5613e709184ba5277");
}

TEST(Image, ConfigIsCanonical) {
  testing::RenderedImage image = example_image();
  EXPECT_EQ(image.default_platform().config.bytes,
            R"({"architecture":"amd64","config":{},"history":[{"created_by":"ocipfs layer/)" +
                testing::manifest_cid + R"("}],"os":"linux","rootfs":{"diff_ids":[")" +
                testing::layer_diff_id + R"("],"type":"layers"}})");
}

TEST(Image, ManifestPointsAtConfigAndLayer) {
  testing::RenderedImage image = example_image();
  const auto& platform = image.default_platform();
  json manifest = json::parse(platform.manifest.bytes);
  EXPECT_EQ(manifest["schemaVersion"], 2);
  EXPECT_EQ(manifest["mediaType"], oci_manifest_media_type);
  EXPECT_EQ(manifest["config"]["mediaType"], oci_config_media_type);
  EXPECT_EQ(manifest["config"]["digest"], platform.config.digest);
  EXPECT_EQ(manifest["config"]["size"], platform.config.bytes.size());
  ASSERT_EQ(manifest["layers"].size(), 1u);
  const auto& layer = manifest["layers"][0];
  EXPECT_EQ(layer["digest"], testing::layer_digest);
  EXPECT_EQ(layer["size"], 1234);
  EXPECT_EQ(layer["annotations"]["io.ocipfs.layer.ipfs.cid"],
            testing::layer_dir_cid + "/hello.tar.gz");
  EXPECT_EQ(layer["annotations"]["io.ocipfs.layer.fs.digest"], testing::layer_diff_id);
  EXPECT_EQ(platform.manifest.digest, sha256_digest(platform.manifest.bytes));
  EXPECT_EQ(platform.manifest.bytes.find(' '), std::string::npos);
}

TEST(Image, IndexOffersEveryPlatform) {
  testing::RenderedImage image = example_image();
  json index = json::parse(image.index.bytes);
  EXPECT_EQ(index["mediaType"], oci_index_media_type);
  ASSERT_EQ(index["manifests"].size(), default_platforms().size());
  EXPECT_EQ(image.platforms.size(), default_platforms().size());
  for (std::size_t i = 0; i < image.platforms.size(); ++i) {
    const auto& entry = index["manifests"][i];
    EXPECT_EQ(entry["digest"], image.platforms[i].manifest.digest);
    EXPECT_EQ(entry["size"], image.platforms[i].manifest.bytes.size());
    EXPECT_EQ(entry["platform"]["architecture"], image.platforms[i].platform.architecture);
    json config = json::parse(image.platforms[i].config.bytes);
    EXPECT_EQ(config["architecture"], image.platforms[i].platform.architecture);
    EXPECT_EQ(image.manifest_by_digest(image.platforms[i].manifest.digest),
              &image.platforms[i].manifest);
    EXPECT_EQ(image.config_by_digest(image.platforms[i].config.digest), &image.platforms[i].config);
  }
  EXPECT_EQ(image.platforms[0].platform.architecture, "amd64");
  EXPECT_EQ(image.platforms[1].platform.architecture, "arm64");
}

TEST(Image, DeclaredPlatformIsTheOnlyOne) {
  testing::RenderedImage image =
      example_image(R"("platform":{"os":"linux","architecture":"riscv64"},)");
  ASSERT_EQ(image.platforms.size(), 1u);
  EXPECT_EQ(image.default_platform().platform.architecture, "riscv64");
  EXPECT_EQ(json::parse(image.index.bytes)["manifests"].size(), 1u);
}

TEST(Image, TagsAreLatestAndTheFileName) {
  EXPECT_EQ(example_image().tags, (std::vector<std::string>{"hello.tar.gz", "latest"}));
  auto layer = parse_layer_manifest(testing::layer_manifest_json("not a tag!"));
  ASSERT_TRUE(layer);
  const Image image = synthesize_image(testing::manifest_cid, *layer);
  EXPECT_EQ(std::vector<std::string_view>(image.tags().begin(), image.tags().end()),
            std::vector<std::string_view>{"latest"});
}

TEST(Image, TagGrammar) {
  EXPECT_TRUE(is_tag("latest"));
  EXPECT_TRUE(is_tag("_x.Y-1"));
  EXPECT_TRUE(is_tag(std::string(128, 'a')));
  EXPECT_FALSE(is_tag(std::string(129, 'a')));
  EXPECT_FALSE(is_tag(".x"));
  EXPECT_FALSE(is_tag("-x"));
  EXPECT_FALSE(is_tag("a b"));
  EXPECT_FALSE(is_tag(""));
}

TEST(Image, SameInputSameBytes) {
  EXPECT_EQ(example_image().index.bytes, example_image().index.bytes);
}

// A copy keeps texts of its own: it renders the same documents when the original is gone.
TEST(Image, ACopyOutlivesItsOriginal) {
  auto original = std::make_unique<Image>(synthesize_image(
      testing::manifest_cid, *parse_layer_manifest(testing::layer_manifest_json())));
  const testing::RenderedImage expected(*original);
  Image copy(*original);
  Image assigned;
  assigned = *original;
  original.reset();
  for (const Image* image : {&copy, &assigned}) {
    testing::expect_rendered_as_stored(*image);
    const testing::RenderedImage rendered(*image);
    EXPECT_EQ(rendered.index.bytes, expected.index.bytes);
    EXPECT_EQ(rendered.default_platform().manifest.bytes,
              expected.default_platform().manifest.bytes);
    EXPECT_EQ(rendered.layers.front().ipfs_path, expected.layers.front().ipfs_path);
    EXPECT_EQ(image->layer_path(0).root, rendered.layers.front().path.root);
    EXPECT_EQ(image->cid(), testing::manifest_cid);
  }
}

}  // namespace
}  // namespace ocipfs
