// The JSON of an image to import, read on bytes: index.json's entries chosen by ref, manifests of
// at most 127 layers, docker save's manifest.json, and the OCI manifest written for it.
#include "ocipfs/publish/image_source_json.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ocipfs/image/image.hpp"
#include "ocipfs/publish/layer_tarball.hpp"

namespace ocipfs {
namespace {

using json = nlohmann::json;
using ::testing::HasSubstr;

std::string hex_digest(char c) { return "sha256:" + std::string(64, c); }

json descriptor_json(const std::string& media_type, const std::string& digest, std::size_t size) {
  return {{"mediaType", media_type}, {"digest", digest}, {"size", size}};
}

TEST(ImportPure, ChoosesTheLayoutEntryByRef) {
  json index = {{"schemaVersion", 2}, {"manifests", json::array()}};
  for (auto [ref, c] : {std::pair{"v1", 'a'}, std::pair{"v2", 'b'}}) {
    json entry = descriptor_json(std::string(oci_manifest_media_type), hex_digest(c), 10);
    entry["annotations"] = {{std::string(oci_ref_name_annotation), ref}};
    index["manifests"].push_back(entry);
  }
  auto v2 = choose_layout_entry(index.dump(), "v2");
  ASSERT_TRUE(v2.has_value()) << v2.error();
  EXPECT_EQ(v2->descriptor.digest, hex_digest('b'));
  EXPECT_EQ(v2->ref_name, "v2");
  auto none = choose_layout_entry(index.dump(), "");
  ASSERT_FALSE(none.has_value());
  EXPECT_THAT(none.error(), HasSubstr("lists 2 images: choose one with SOURCE:REF (refs: \"v1\", "
                                      "\"v2\")"));
  auto missing = choose_layout_entry(index.dump(), "v3");
  ASSERT_FALSE(missing.has_value());
  EXPECT_THAT(missing.error(), HasSubstr("no image with the ref \"v3\""));
  index["manifests"].erase(1);
  auto only = choose_layout_entry(index.dump(), "");
  ASSERT_TRUE(only.has_value()) << only.error();
  EXPECT_EQ(only->descriptor.size, 10u);
  auto bad = choose_layout_entry(R"({"manifests":[{"digest":"sha512:ab","size":1}]})", "");
  ASSERT_FALSE(bad.has_value());
  EXPECT_THAT(bad.error(), HasSubstr("manifests[0].digest must be"));
}

TEST(ImportPure, ManifestsOfAtMost127Layers) {
  json manifest = {
      {"config", descriptor_json(std::string(oci_config_media_type), hex_digest('c'), 5)},
      {"layers", json::array()}};
  for (int i = 0; i < 127; ++i)
    manifest["layers"].push_back(descriptor_json(std::string(oci_layer_tar), hex_digest('d'), 7));
  auto ok = parse_manifest_blobs(manifest.dump());
  ASSERT_TRUE(ok.has_value()) << ok.error();
  EXPECT_EQ(ok->layers.size(), 127u);
  EXPECT_EQ(ok->config.digest, hex_digest('c'));
  manifest["layers"].push_back(descriptor_json(std::string(oci_layer_tar), hex_digest('d'), 7));
  auto refused = parse_manifest_blobs(manifest.dump());
  ASSERT_FALSE(refused.has_value());
  EXPECT_THAT(refused.error(), HasSubstr("128 layers; at most 127"));
}

TEST(ImportPure, DockerSaveManifestAndTheSynthesizedOciManifest) {
  std::string saved =
      R"([{"Config":"abc.json","RepoTags":["example.com/hello:1.0"],"Layers":["a/layer.tar"]},)"
      R"({"Config":"def.json","RepoTags":["other:2"],"Layers":[]}])";
  auto first = parse_docker_save_manifest(saved, "example.com/hello:1.0");
  ASSERT_TRUE(first.has_value()) << first.error();
  EXPECT_EQ(first->config_path, "abc.json");
  EXPECT_EQ(first->layer_paths, std::vector<std::string>{"a/layer.tar"});
  EXPECT_EQ(first->tag, "1.0");
  auto several = parse_docker_save_manifest(saved, "");
  ASSERT_FALSE(several.has_value());
  EXPECT_THAT(several.error(), HasSubstr("\"example.com/hello:1.0\", \"other:2\""));

  std::string manifest =
      docker_save_manifest({"", hex_digest('c'), 12}, {{"", hex_digest('1'), 2048}});
  EXPECT_EQ(manifest,
            R"({"config":{"digest":")" + hex_digest('c') +
                R"(","mediaType":"application/vnd.oci.image.config.v1+json","size":12},)"
                R"("layers":[{"digest":")" +
                hex_digest('1') +
                R"(","mediaType":"application/vnd.oci.image.layer.v1.tar","size":2048}],)"
                R"("mediaType":"application/vnd.oci.image.manifest.v1+json","schemaVersion":2})");
}

}  // namespace
}  // namespace ocipfs
