#include "ocipfs/registry/handler.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/rendered_image.hpp"
#include "support/test_data.hpp"

namespace ocipfs {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

struct Fixture : ::testing::Test {
  ImagePtr image_ptr = std::make_shared<const Image>(synthesize_image(
      testing::manifest_cid, *parse_layer_manifest(testing::layer_manifest_json())));
  testing::RenderedImage image{*image_ptr};
  RedirectGateway redirect = *parse_redirect_gateway("https://gateway.example/prefix/");

  Response get(const std::string& target, const std::string& method = "GET",
               const std::string& accept = "", const std::string& if_none_match = "") {
    RequestTarget parts = split_target(target);
    auto route = parse_route(parts.path);
    EXPECT_TRUE(route) << target;
    Request request{method, parts.path, parts.query, accept, if_none_match, {}, {}, {}};
    return answer(*route, request, image_ptr, redirect);
  }
  std::string header(const Response& response, const std::string& name) {
    return header_value(response, name);
  }
  std::string base() { return "/v2/layer/" + testing::manifest_cid; }
};

TEST_F(Fixture, TagServesTheIndexToClientsThatTakeIt) {
  auto response = get(base() + "/manifests/latest", "GET",
                      "application/vnd.oci.image.manifest.v1+json, "
                      "application/vnd.oci.image.index.v1+json");
  EXPECT_EQ(response.status, 200u);
  EXPECT_EQ(response.content_type, oci_index_media_type);
  EXPECT_EQ(response.payload(), image.index.bytes);
  EXPECT_EQ(header(response, "Docker-Content-Digest"), image.index.digest);
  EXPECT_EQ(response.content_length, image.index.bytes.size());
}

TEST_F(Fixture, TagServesTheManifestToClientsThatTakeNoIndex) {
  auto response =
      get(base() + "/manifests/hello.tar.gz", "GET", "application/vnd.oci.image.manifest.v1+json");
  EXPECT_EQ(response.content_type, oci_manifest_media_type);
  EXPECT_EQ(response.payload(), image.default_platform().manifest.bytes);
  EXPECT_EQ(header(response, "Docker-Content-Digest"), image.default_platform().manifest.digest);
}

TEST_F(Fixture, AcceptParsing) {
  EXPECT_TRUE(accepts_index(""));
  EXPECT_TRUE(accepts_index("*/*"));
  EXPECT_TRUE(accepts_index("application/vnd.oci.image.manifest.v1+json, */*"));
  EXPECT_TRUE(accepts_index("application/VND.OCI.IMAGE.INDEX.V1+JSON;q=0.5"));
  EXPECT_FALSE(accepts_index("application/vnd.oci.image.manifest.v1+json"));
  EXPECT_FALSE(accepts_index("application/vnd.docker.distribution.manifest.v2+json"));
}

TEST_F(Fixture, HeadHasTheLengthButNoBody) {
  auto response = get(base() + "/manifests/latest", "HEAD");
  EXPECT_TRUE(response.head);
  EXPECT_EQ(response.content_length, image.index.bytes.size());
}

TEST_F(Fixture, UnknownTagListsTheValidOnes) {
  auto response = get(base() + "/manifests/other");
  EXPECT_EQ(response.status, 404u);
  EXPECT_THAT(response.payload(), HasSubstr("MANIFEST_UNKNOWN"));
  EXPECT_THAT(response.payload(), HasSubstr("its tags are: hello.tar.gz, latest"));
}

TEST_F(Fixture, ManifestByDigest) {
  for (const auto& platform : image.platforms) {
    auto response = get(base() + "/manifests/" + platform.manifest.digest, "GET",
                        "application/vnd.oci.image.manifest.v1+json");
    EXPECT_EQ(response.status, 200u);
    EXPECT_EQ(response.payload(), platform.manifest.bytes);
    EXPECT_EQ(response.content_type, oci_manifest_media_type);
  }
  auto index = get(base() + "/manifests/" + image.index.digest);
  EXPECT_EQ(index.payload(), image.index.bytes);
  EXPECT_EQ(index.content_type, oci_index_media_type);
  auto unknown = get(base() + "/manifests/sha256:" + std::string(64, 'f'));
  EXPECT_EQ(unknown.status, 404u);
  EXPECT_THAT(unknown.body, HasSubstr("MANIFEST_UNKNOWN"));
}

TEST_F(Fixture, ConfigBlob) {
  const auto& config = image.default_platform().config;
  auto response = get(base() + "/blobs/" + config.digest);
  EXPECT_EQ(response.status, 200u);
  EXPECT_EQ(response.content_type, oci_config_media_type);
  EXPECT_EQ(response.payload(), config.bytes);
  EXPECT_EQ(header(response, "Docker-Content-Digest"), config.digest);
}

TEST_F(Fixture, LayerBlobRedirectsOnGetAndAnswersHead) {
  auto get_response = get(base() + "/blobs/" + testing::layer_digest);
  EXPECT_EQ(get_response.status, 302u);
  EXPECT_EQ(header(get_response, "Location"),
            "https://gateway.example/prefix/ipfs/" + testing::layer_dir_cid + "/hello.tar.gz");
  EXPECT_EQ(header(get_response, "Docker-Content-Digest"), testing::layer_digest);

  auto head = get(base() + "/blobs/" + testing::layer_digest, "HEAD");
  EXPECT_EQ(head.status, 200u);
  EXPECT_EQ(head.content_length, 1234u);
  EXPECT_EQ(head.content_type, "application/vnd.oci.image.layer.v1.tar+gzip");
  EXPECT_EQ(header(head, "Docker-Content-Digest"), testing::layer_digest);
}

TEST_F(Fixture, LocationPercentEncodesEverySegment) {
  auto path = parse_ipfs_path(testing::layer_dir_cid + "/dir one/ü%x;y");
  ASSERT_TRUE(path);
  EXPECT_EQ(layer_location(redirect, *path), "https://gateway.example/prefix/ipfs/" +
                                                 testing::layer_dir_cid +
                                                 "/dir%20one/%C3%BC%25x%3By");
}

TEST_F(Fixture, CidV1LayerPaths) {
  auto path = parse_ipfs_path("bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354/l.tar");
  ASSERT_TRUE(path);
  EXPECT_EQ(layer_location(redirect, *path),
            "https://gateway.example/prefix/ipfs/"
            "bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354/l.tar");
}

TEST_F(Fixture, SubdomainGatewaysGetTheRootAsCidv1) {
  auto subdomain = *parse_redirect_gateway("https://{cid}.ipfs.dweb.link");
  auto path = parse_ipfs_path(testing::layer_dir_cid + "/a b.tar");
  ASSERT_TRUE(path);
  // QmUNLL... (CIDv0) is bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354 in CIDv1.
  EXPECT_EQ(layer_location(subdomain, *path),
            "https://bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354.ipfs.dweb.link/"
            "a%20b.tar");
  auto with_port = *parse_redirect_gateway("http://{cid}.ipfs.localhost:8080");
  EXPECT_EQ(
      layer_location(with_port, *parse_ipfs_path(testing::layer_dir_cid)),
      "http://bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354.ipfs.localhost:8080/");
}

TEST_F(Fixture, ImmutableAnswersCarryEtagAndCacheControl) {
  const auto& config = image.default_platform().config;
  for (const auto& target :
       {base() + "/manifests/" + image.index.digest, base() + "/blobs/" + config.digest,
        base() + "/blobs/" + testing::layer_digest}) {
    auto response = get(target);
    EXPECT_EQ(header(response, "Cache-Control"), "public, max-age=31536000, immutable") << target;
    EXPECT_EQ(header(response, "ETag"), "\"" + header(response, "Docker-Content-Digest") + "\"");
  }
  auto by_tag = get(base() + "/manifests/latest");
  EXPECT_EQ(header(by_tag, "Vary"), "Accept");
  EXPECT_EQ(header(by_tag, "Cache-Control"), "public, max-age=31536000, immutable");
  auto error = get(base() + "/manifests/nope");
  EXPECT_EQ(header(error, "Cache-Control"), "no-store");
  EXPECT_EQ(header(error, "ETag"), "");
}

TEST_F(Fixture, IfNoneMatchGets304) {
  const auto& digest = image.index.digest;
  for (const auto& value : {"\"" + digest + "\"", "W/\"" + digest + "\"", digest,
                            "\"sha256:other\", \"" + digest + "\"", std::string("*")}) {
    auto response = get(base() + "/manifests/" + digest, "GET", "", value);
    EXPECT_EQ(response.status, 304u) << value;
    EXPECT_TRUE(response.payload().empty());
    EXPECT_EQ(header(response, "ETag"), "\"" + digest + "\"");
  }
  EXPECT_EQ(get(base() + "/manifests/" + digest, "GET", "", "\"sha256:other\"").status, 200u);
  EXPECT_EQ(get(base() + "/blobs/" + image.default_platform().config.digest, "HEAD", "",
                "\"" + image.default_platform().config.digest + "\"")
                .status,
            304u);
  EXPECT_FALSE(matches_etag("", digest));
}

TEST_F(Fixture, UnknownBlob) {
  auto response = get(base() + "/blobs/sha256:" + std::string(64, 'e'));
  EXPECT_EQ(response.status, 404u);
  EXPECT_THAT(response.payload(), HasSubstr("BLOB_UNKNOWN"));
}

TEST_F(Fixture, TagsList) {
  auto response = get(base() + "/tags/list");
  EXPECT_EQ(response.status, 200u);
  EXPECT_EQ(json::parse(response.payload()),
            json::parse(R"({"name":"layer/)" + testing::manifest_cid +
                        R"(","tags":["hello.tar.gz","latest"]})"));
  auto page = get(base() + "/tags/list?n=1");
  EXPECT_EQ(json::parse(page.payload())["tags"], json::array({"hello.tar.gz"}));
  EXPECT_THAT(header(page, "Link"), HasSubstr("last=hello.tar.gz>; rel=\"next\""));
  auto rest = get(base() + "/tags/list?n=1&last=hello.tar.gz");
  EXPECT_EQ(json::parse(rest.payload())["tags"], json::array({"latest"}));
}

TEST(ErrorResponse, IsAnOciErrorBody) {
  auto response = error_response(manifest_unknown("nope \"quoted\""), false);
  EXPECT_EQ(response.status, 404u);
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_EQ(json::parse(response.payload()),
            json::parse(R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"nope \"quoted\""}]})"));
  auto method = error_response(unsupported("read-only"), false);
  EXPECT_EQ(method.status, 405u);
  ASSERT_EQ(method.headers.size(), 2u);
  EXPECT_EQ(method.headers[0], (std::pair<std::string, std::string>{"Allow", "GET, HEAD"}));
  EXPECT_EQ(method.headers[1], (std::pair<std::string, std::string>{"Cache-Control", "no-store"}));
}

// HEAD answers have no body: clients (docker, containerd, skopeo) print the status line as it
// came, so an error's status line carries its message, within the reason-phrase grammar.
TEST(ErrorResponse, TheStatusLineSaysWhatHappened) {
  auto error = gateway_timeout("no gateway answered for layer manifest bafk1\r\nX-Injected: 1");
  std::string head;
  serialize_head(error_response(error, true), Persistence::keep_alive_1_1, head);
  std::string_view status_line = std::string_view(head).substr(0, head.find("\r\n"));
  EXPECT_EQ(
      status_line,
      "HTTP/1.1 504 Gateway Timeout: no gateway answered for layer manifest bafk1??X-Injected: 1");
  EXPECT_EQ(head.find("\r\nX-Injected"), std::string::npos);

  auto chatty = error_response(manifest_unknown(std::string(2000, 'x') + "\xe2\x80\xa6"), false);
  serialize_head(chatty, Persistence::keep_alive_1_1, head);
  status_line = std::string_view(head).substr(0, head.find("\r\n"));
  EXPECT_LE(status_line.size(), std::string("HTTP/1.1 404 ").size() + max_reason_phrase_size);
  EXPECT_TRUE(status_line.starts_with("HTTP/1.1 404 Not Found: xxx"));
  for (char c : status_line) EXPECT_TRUE(c == '\t' || (c >= 0x20 && c < 0x7f));

  Response ok;  // other answers keep the standard phrase
  serialize_head(ok, Persistence::keep_alive_1_1, head);
  EXPECT_TRUE(head.starts_with("HTTP/1.1 200 OK\r\n"));
}

}  // namespace
}  // namespace ocipfs
