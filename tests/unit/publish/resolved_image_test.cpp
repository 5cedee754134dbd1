// Resolving an image to import through a lookup, without files: every document read once and
// checked against its descriptor, layers shared between manifests kept once.
#include "ocipfs/publish/resolved_image.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "ocipfs/base/digest.hpp"
#include "ocipfs/image/image.hpp"
#include "ocipfs/publish/layer_tarball.hpp"

namespace ocipfs {
namespace {

using json = nlohmann::json;
using ::testing::HasSubstr;

// Blobs by digest, handed out as a source would.
struct Blobs {
  std::map<std::string, std::string> bytes;

  BlobDescriptor add(const std::string& media_type, const std::string& content) {
    BlobDescriptor blob{media_type, sha256_digest(content), content.size()};
    bytes[blob.digest] = content;
    return blob;
  }
  BlobLookup lookup() const {
    return [this](const BlobDescriptor& blob) -> Expected<std::string> {
      auto it = bytes.find(blob.digest);
      if (it == bytes.end()) return Unexpected{std::string("no such blob")};
      return it->second;
    };
  }
};

json descriptor(const BlobDescriptor& blob) {
  return {{"mediaType", blob.media_type}, {"digest", blob.digest}, {"size", blob.size}};
}

BlobDescriptor add_manifest(Blobs& blobs, const std::string& arch, const json& layers) {
  auto config = blobs.add(std::string(oci_config_media_type),
                          json{{"architecture", arch}, {"os", "linux"}}.dump());
  json manifest = {{"schemaVersion", 2},
                   {"mediaType", oci_manifest_media_type},
                   {"config", descriptor(config)},
                   {"layers", layers}};
  return blobs.add(std::string(oci_manifest_media_type), manifest.dump());
}

TEST(ResolvedImage, AnIndexOfTwoManifestsSharingALayer) {
  Blobs blobs;
  json shared = {
      {"mediaType", oci_layer_tar}, {"digest", "sha256:" + std::string(64, '1')}, {"size", 10}};
  json own = {
      {"mediaType", oci_layer_tar}, {"digest", "sha256:" + std::string(64, '2')}, {"size", 20}};
  auto amd64 = add_manifest(blobs, "amd64", json::array({shared, own}));
  auto arm64 = add_manifest(blobs, "arm64", json::array({shared}));
  json index = {{"schemaVersion", 2},
                {"mediaType", "application/vnd.oci.image.index.v1+json"},
                {"manifests", json::array({descriptor(amd64), descriptor(arm64)})}};
  auto top = blobs.add("", index.dump());  // an entry with no media type

  auto image = resolve_image(top, blobs.lookup());
  ASSERT_TRUE(image) << image.error();
  EXPECT_EQ(image->top.media_type, "application/vnd.oci.image.index.v1+json");
  ASSERT_EQ(image->indexes.size(), 1u);
  ASSERT_EQ(image->manifests.size(), 2u);
  EXPECT_EQ(image->manifests[0].platform.architecture, "amd64");
  EXPECT_EQ(image->manifests[1].platform.architecture, "arm64");
  EXPECT_EQ(image->documents.size(), 5u);  // the index, two manifests, two configs
  ASSERT_EQ(image->layers.size(), 2u);
  EXPECT_EQ(image->layers[0].size, 10u);
  EXPECT_EQ(image->layer_references, 3u);
}

TEST(ResolvedImage, RefusesABlobThatIsNotWhatItsDescriptorSays) {
  Blobs blobs;
  auto manifest = add_manifest(blobs, "amd64", json::array());
  blobs.bytes[manifest.digest] += " ";
  auto longer = resolve_image(manifest, blobs.lookup());
  ASSERT_FALSE(longer);
  EXPECT_THAT(longer.error(), HasSubstr("bytes, but its descriptor says"));

  blobs.bytes[manifest.digest].pop_back();
  blobs.bytes[manifest.digest].back() = ' ';
  auto changed = resolve_image(manifest, blobs.lookup());
  ASSERT_FALSE(changed);
  EXPECT_THAT(changed.error(), HasSubstr("its bytes hash to sha256:"));

  auto missing = resolve_image(
      {std::string(oci_manifest_media_type), "sha256:" + std::string(64, '9'), 3}, blobs.lookup());
  ASSERT_FALSE(missing);
  EXPECT_THAT(missing.error(), HasSubstr("no such blob"));
}

}  // namespace
}  // namespace ocipfs
