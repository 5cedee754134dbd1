#include "ocipfs/image/layer_manifest.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/test_data.hpp"

namespace ocipfs {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using testing::layer_manifest_json;

std::string error_of(const std::string& text) {
  auto parsed = parse_layer_manifest(text);
  EXPECT_FALSE(parsed.has_value()) << text;
  return parsed ? std::string() : parsed.error();
}

std::string mutated(const std::function<void(json&)>& change) {
  json document = json::parse(layer_manifest_json());
  change(document);
  return document.dump();
}

TEST(LayerManifest, ParsesTheExampleShape) {
  auto parsed = parse_layer_manifest(layer_manifest_json());
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_EQ(parsed->media_type, "application/vnd.oci.image.layer.v1.tar+gzip");
  EXPECT_EQ(parsed->digest, testing::layer_digest);
  EXPECT_EQ(parsed->diff_id, testing::layer_diff_id);
  EXPECT_EQ(parsed->size, 1234u);
  EXPECT_EQ(parsed->ipfs_path, testing::layer_dir_cid + "/hello.tar.gz");
  EXPECT_EQ(parsed->path.file_name(), "hello.tar.gz");
  EXPECT_FALSE(parsed->platform);
}

TEST(LayerManifest, IgnoresUnknownFields) {
  auto text = mutated([](json& d) {
    d["future"] = {1, 2, 3};
    d["layer"]["urls"] = json::array();
    d["layer"]["annotations"]["org.example"] = "x";
  });
  EXPECT_TRUE(parse_layer_manifest(text));
}

TEST(LayerManifest, AcceptsEveryLayerMediaType) {
  for (const char* type :
       {"application/vnd.oci.image.layer.v1.tar", "application/vnd.oci.image.layer.v1.tar+gzip",
        "application/vnd.oci.image.layer.v1.tar+zstd",
        "application/vnd.docker.image.rootfs.diff.tar.gzip"}) {
    EXPECT_TRUE(parse_layer_manifest(mutated([&](json& d) { d["layer"]["mediaType"] = type; })))
        << type;
  }
  EXPECT_TRUE(is_layer_media_type("application/vnd.oci.image.layer.v1.tar"));
  EXPECT_FALSE(is_layer_media_type("application/vnd.oci.image.config.v1+json"));
}

TEST(LayerManifest, RefusesWhatIsNotALayerManifest) {
  EXPECT_THAT(error_of("not json"), HasSubstr("not valid JSON"));
  EXPECT_THAT(error_of("[]"), HasSubstr("must be a JSON object"));
  EXPECT_THAT(error_of("{}"), HasSubstr("mediaType is missing"));
  EXPECT_THAT(error_of(mutated([](json& d) { d["mediaType"] = "application/json"; })),
              HasSubstr("mediaType must be \"application/vnd.ocipfs.layer.manifest.v1+json\""));
  EXPECT_THAT(error_of(mutated([](json& d) { d["mediaType"] = 7; })),
              HasSubstr("mediaType must be a string"));
  EXPECT_THAT(error_of(mutated([](json& d) { d.erase("layer"); })), HasSubstr("layer is missing"));
  EXPECT_THAT(error_of(mutated([](json& d) { d["layer"] = "x"; })),
              HasSubstr("layer must be an object"));
  EXPECT_THAT(error_of(std::string(max_layer_manifest_size + 1, ' ')),
              HasSubstr("larger than 1 MiB"));
}

TEST(LayerManifest, RefusesDeepNestingBeforeParsing) {
  // 1 MiB of "[" took the JSON parser a second of CPU to build and discard.
  EXPECT_THAT(error_of(std::string(max_layer_manifest_size, '[')), HasSubstr("deeper than 64"));
  auto nested = [](std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  EXPECT_THAT(error_of(nested(65)), HasSubstr("deeper than 64"));
  // 64 levels, the document's own included, are fine; so are brackets in strings.
  EXPECT_TRUE(
      parse_layer_manifest(layer_manifest_json("hello.tar.gz", R"("x":)" + nested(63) + ",")));
  EXPECT_TRUE(parse_layer_manifest(layer_manifest_json(std::string(100, '['))));
  EXPECT_TRUE(parse_layer_manifest(
      layer_manifest_json("hello.tar.gz", R"("x":"\"[)" + std::string(100, '{') + "\",")));
}

TEST(LayerManifest, RefusesAKeyTwiceInAnObject) {
  auto twice = [](std::string_view key) {
    std::string text = layer_manifest_json("hello.tar.gz");
    auto at = text.find("\"" + std::string(key) + "\"");
    auto end = text.find(',', at);
    return text.insert(at, text.substr(at, end - at + 1));
  };
  EXPECT_THAT(error_of(twice("mediaType")), HasSubstr("the key \"mediaType\" twice"));
  EXPECT_THAT(error_of(twice("digest")), HasSubstr("the key \"digest\" twice"));
}

TEST(LayerManifest, RefusesBadLayerMediaTypes) {
  EXPECT_THAT(error_of(mutated([](json& d) {
                d["layer"]["mediaType"] = "application/vnd.oci.image.manifest.v1+json";
              })),
              HasSubstr("layer.mediaType \"application/vnd.oci.image.manifest.v1+json\" is not an "
                        "OCI layer type"));
  EXPECT_THAT(error_of(mutated([](json& d) { d["layer"].erase("mediaType"); })),
              HasSubstr("layer.mediaType is missing"));
}

TEST(LayerManifest, RefusesBadDigests) {
  for (const char* digest :
       {"sha256:abc", "SHA256:1111111111111111111111111111111111111111111111111111111111111111",
        "sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "sha512:1111111111111111111111111111111111111111111111111111111111111111", ""}) {
    EXPECT_THAT(error_of(mutated([&](json& d) { d["layer"]["digest"] = digest; })),
                HasSubstr("layer.digest must be \"sha256:\" followed by 64 lowercase hex digits"))
        << digest;
  }
  EXPECT_THAT(error_of(mutated([](json& d) {
                d["layer"]["annotations"]["io.ocipfs.layer.fs.digest"] = "sha256:zz";
              })),
              HasSubstr("layer.annotations.io.ocipfs.layer.fs.digest must be \"sha256:\""));
}

TEST(LayerManifest, RefusesBadSizes) {
  for (json size :
       {json(-1), json(1.5), json(1e3), json("12"), json(nullptr), json(9007199254740992ull)}) {
    EXPECT_THAT(error_of(mutated([&](json& d) { d["layer"]["size"] = size; })),
                HasSubstr("layer.size must be a non-negative integer below 2^53"))
        << size.dump();
  }
  EXPECT_TRUE(parse_layer_manifest(mutated([](json& d) { d["layer"]["size"] = 0; })));
  EXPECT_TRUE(
      parse_layer_manifest(mutated([](json& d) { d["layer"]["size"] = 9007199254740991ull; })));
}

TEST(LayerManifest, RequiresBothAnnotations) {
  EXPECT_THAT(error_of(mutated([](json& d) { d["layer"].erase("annotations"); })),
              HasSubstr("layer.annotations is missing"));
  EXPECT_THAT(error_of(mutated(
                  [](json& d) { d["layer"]["annotations"].erase("io.ocipfs.layer.ipfs.cid"); })),
              HasSubstr("layer.annotations.io.ocipfs.layer.ipfs.cid is missing"));
  EXPECT_THAT(error_of(mutated(
                  [](json& d) { d["layer"]["annotations"].erase("io.ocipfs.layer.fs.digest"); })),
              HasSubstr("layer.annotations.io.ocipfs.layer.fs.digest is missing"));
}

TEST(LayerManifest, RefusesUnsafeIpfsPaths) {
  const std::string root = testing::layer_dir_cid;
  for (std::string path : std::vector<std::string>{
           "https://evil.example/x.tar", "/ipfs/" + root + "/x", root + "/../x", root + "/./x",
           root + "//x", root + "/x/", root + "/a\r\nLocation: x", root + "/a\\b", root + "/x?y=1",
           root + "/x#f", "notacid/x", std::string(), root + "/" + std::string(300, 'a')}) {
    EXPECT_THAT(error_of(mutated([&](json& d) {
                  d["layer"]["annotations"]["io.ocipfs.layer.ipfs.cid"] = path;
                })),
                HasSubstr("layer.annotations.io.ocipfs.layer.ipfs.cid is invalid"))
        << path;
  }
}

TEST(LayerManifest, ReadsAnOptionalPlatform) {
  auto parsed = parse_layer_manifest(mutated([](json& d) {
    d["platform"] = {{"os", "linux"}, {"architecture", "arm64"}, {"variant", "v8"}};
  }));
  ASSERT_TRUE(parsed) << parsed.error();
  ASSERT_TRUE(parsed->platform);
  EXPECT_EQ(*parsed->platform, (Platform{"linux", "arm64", "v8"}));

  EXPECT_THAT(error_of(mutated([](json& d) {
                d["platform"] = {{"os", "linux"}};
              })),
              HasSubstr("platform.architecture is missing"));
  EXPECT_THAT(error_of(mutated([](json& d) {
                d["platform"] = {{"os", "Linux OS"}, {"architecture", "amd64"}};
              })),
              HasSubstr("platform has an invalid value \"Linux OS\""));
}

}  // namespace
}  // namespace ocipfs
