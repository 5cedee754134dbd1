#include "ocipfs/http/route.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ocipfs/formats/multibase.hpp"
#include "support/test_data.hpp"

namespace ocipfs {
namespace {

using ::testing::HasSubstr;
const std::string cid = testing::manifest_cid;
const std::string digest = testing::layer_digest;

RegistryError error_of(const std::string& path) {
  auto route = parse_route(path);
  EXPECT_FALSE(route.has_value()) << path;
  return route ? RegistryError{} : route.error().error;
}

TEST(Route, Base) {
  EXPECT_EQ(parse_route("/v2/")->kind, RouteKind::base);
  EXPECT_EQ(parse_route("/v2")->kind, RouteKind::base);
}

TEST(Route, ManifestsBlobsTagsReferrers) {
  auto manifest = parse_route("/v2/layer/" + cid + "/manifests/latest");
  ASSERT_TRUE(manifest);
  EXPECT_EQ(manifest->kind, RouteKind::manifest);
  EXPECT_EQ(manifest->repository.name, "layer/" + cid);
  EXPECT_EQ(manifest->repository.cid.to_string(), cid);
  EXPECT_EQ(manifest->reference, "latest");
  EXPECT_FALSE(manifest->by_digest());

  auto by_digest = parse_route("/v2/layer/" + cid + "/manifests/" + digest);
  ASSERT_TRUE(by_digest);
  EXPECT_TRUE(by_digest->by_digest());

  auto blob = parse_route("/v2/layer/" + cid + "/blobs/" + digest);
  ASSERT_TRUE(blob);
  EXPECT_EQ(blob->kind, RouteKind::blob);
  EXPECT_EQ(blob->reference, digest);

  EXPECT_EQ(parse_route("/v2/layer/" + cid + "/tags/list")->kind, RouteKind::tags_list);
  EXPECT_EQ(parse_route("/v2/layer/" + cid + "/referrers/" + digest)->kind, RouteKind::referrers);
}

TEST(Route, Base36NamesTheSameCid) {
  auto base32 = parse_route("/v2/layer/" + cid + "/manifests/latest");
  // The same CID in base36.
  auto text = base36_lower_encode(base32->repository.cid.v1_bytes());
  auto base36 = parse_route("/v2/layer/k" + text + "/manifests/latest");
  ASSERT_TRUE(base36) << base36.error().error.message;
  EXPECT_EQ(base36->repository.cid, base32->repository.cid);
}

TEST(Route, NamesOutsideTheGrammarAreInvalid) {
  for (std::string name : std::vector<std::string>{"Layer/" + cid, "layer//" + cid, "layer/-x",
                                                   "layer/a..b", "layer/A"}) {
    auto error = error_of("/v2/" + name + "/manifests/latest");
    EXPECT_EQ(error.status, 400u) << name;
    EXPECT_EQ(error.code, ErrorCode::name_invalid) << name;
  }
}

TEST(Route, NamesThatAreNotLayerCidsAreUnknown) {
  for (std::string name : std::vector<std::string>{
           "library/ubuntu", "layer/notacid", "layer/" + cid + "/extra", "layer", "other/" + cid,
           "layer/bafyreihdb57fdysx5h35urvxz64ros7zvywshber7id6t6c6fek37jgyfe"}) {
    auto error = error_of("/v2/" + name + "/manifests/latest");
    EXPECT_EQ(error.status, 404u) << name;
    EXPECT_EQ(error.code, ErrorCode::name_unknown) << name;
  }
  EXPECT_THAT(error_of("/v2/layer/bafyreihdb57fdysx5h35urvxz64ros7zvywshber7id6t6c6fek37jgyfe/"
                       "manifests/latest")
                  .message,
              HasSubstr("dag-cbor"));
}

TEST(Route, MalformedDigestsAreInvalid) {
  for (std::string bad : std::vector<std::string>{
           "sha256:totallywrong", "sha256:abc", "sha256:" + std::string(64, 'A'), "sha256:", ":abc",
           "SHA256:" + std::string(64, 'a')}) {
    auto error = error_of("/v2/layer/" + cid + "/manifests/" + bad);
    EXPECT_EQ(error.status, 400u) << bad;
    EXPECT_EQ(error.code, ErrorCode::digest_invalid) << bad;
    auto blob_error = error_of("/v2/layer/" + cid + "/blobs/" + bad);
    EXPECT_EQ(blob_error.code, ErrorCode::digest_invalid) << bad;
  }
  auto sha512 = error_of("/v2/layer/" + cid + "/blobs/sha512:" + std::string(128, 'a'));
  EXPECT_EQ(sha512.status, 404u);
  EXPECT_EQ(sha512.code, ErrorCode::blob_unknown);
}

TEST(Route, InvalidTagsAreUnknownManifests) {
  auto error = error_of("/v2/layer/" + cid + "/manifests/.INVALID_MANIFEST_NAME");
  EXPECT_EQ(error.status, 404u);
  EXPECT_EQ(error.code, ErrorCode::manifest_unknown);
}

TEST(Route, UnknownPathsAreNotFound) {
  for (std::string path : std::vector<std::string>{
           "/v1/", "/v2/layer/" + cid, "/v2/layer/" + cid + "/manifests/",
           "/v2/layer/" + cid + "/tags/list/x", "/v2/_catalog", "http://x/v2/"}) {
    EXPECT_EQ(error_of(path).status, 404u) << path;
  }
}

TEST(Route, PagesAreRoutesOutsideV2) {
  for (const std::string& path :
       std::vector<std::string>{"/", "/layer/x", "/image/" + cid + ":latest"})
    EXPECT_EQ(parse_route(path)->kind, RouteKind::page) << path;
  EXPECT_EQ(error_of("/layerx").status, 404u);
  EXPECT_EQ(error_of("/v2/layer/x").status, 404u);
}

TEST(Route, OperationalPathsAreRoutesToo) {
  EXPECT_EQ(parse_route("/healthz")->kind, RouteKind::healthz);
  EXPECT_EQ(parse_route("/readyz")->kind, RouteKind::readyz);
  EXPECT_EQ(parse_route("/metrics")->kind, RouteKind::metrics);
  EXPECT_TRUE(is_operational(RouteKind::metrics));
  EXPECT_FALSE(is_operational(RouteKind::manifest));
  EXPECT_EQ(parse_route("/metricsx").error().kind, RouteKind::unknown);
}

TEST(Route, ARefusedPathStillSaysWhatItAskedFor) {
  EXPECT_EQ(parse_route("/v2/Bad/manifests/latest").error().kind, RouteKind::manifest);
  EXPECT_EQ(parse_route("/v2/layer/" + cid + "/blobs/sha256:x").error().kind, RouteKind::blob);
  EXPECT_EQ(parse_route("/v2/other/x/tags/list").error().kind, RouteKind::tags_list);
  EXPECT_EQ(parse_route("/v3/").error().kind, RouteKind::unknown);
}

// The split that both the warm and the checked route are made of: views into the path, the kind
// the checked route has or is refused with.
TEST(Route, TheSplitIsWhatTheCheckedRouteIsMadeOf) {
  std::string name = "layer/" + cid;
  for (std::string path :
       {"/v2/" + name + "/manifests/latest", "/v2/" + name + "/manifests/" + digest,
        "/v2/" + name + "/blobs/" + digest, "/v2/" + name + "/tags/list",
        "/v2/" + name + "/referrers/" + digest}) {
    auto view = split_route(path);
    auto route = parse_route(view);
    ASSERT_TRUE(route) << path;
    EXPECT_EQ(view.kind, route->kind) << path;
    EXPECT_EQ(view.name, route->repository.name) << path;
    EXPECT_EQ(view.reference, route->reference) << path;
    EXPECT_EQ(view.path, path);
  }
  // The last marker ends the name; what follows is the reference, checked or refused later.
  auto nested = split_route("/v2/a/manifests/b/manifests/c/d");
  EXPECT_EQ(nested.kind, RouteKind::manifest);
  EXPECT_EQ(nested.name, "a/manifests/b");
  EXPECT_EQ(nested.reference, "c/d");
  EXPECT_EQ(parse_route(nested).error().kind, RouteKind::manifest);
  // Markers are tried in order (manifests, blobs, referrers, tags/list), each at its last.
  struct Split {
    std::string path;
    RouteKind kind;
    std::string name, reference;
  };
  for (const auto& [path, kind, name, reference] : std::vector<Split>{
           {"/v2/a/blobs/x/manifests/y", RouteKind::manifest, "a/blobs/x", "y"},
           {"/v2/a/manifests/x/blobs/y", RouteKind::manifest, "a", "x/blobs/y"},
           {"/v2/a/blobs/b/manifests/", RouteKind::blob, "a", "b/manifests/"},
           {"/v2/a/manifests//blobs/b", RouteKind::manifest, "a", "/blobs/b"},
           {"/v2//manifests/x", RouteKind::manifest, "", "x"},
           {"/v2/a/referrers/r/tags/list", RouteKind::referrers, "a", "r/tags/list"},
           {"/v2/a/tags/list/tags/list", RouteKind::tags_list, "a/tags/list", ""},
       }) {
    auto view = split_route(path);
    EXPECT_EQ(view.kind, kind) << path;
    EXPECT_EQ(view.name, name) << path;
    EXPECT_EQ(view.reference, reference) << path;
  }
  for (std::string path :
       {std::string("/v2/"), "/v2/" + name + "/manifests/", "/v2/" + name + "/blobs",
        std::string("/healthz"), std::string("/v3/a/blobs/x")}) {
    auto view = split_route(path);
    EXPECT_TRUE(view.name.empty() && view.reference.empty()) << path;
    EXPECT_EQ(view.kind,
              parse_route(path) ? parse_route(path)->kind : parse_route(path).error().kind)
        << path;
  }
}

TEST(Route, TheTargetIsSplitOnce) {
  auto plain = split_target("/v2/layer/x/tags/list");
  EXPECT_EQ(plain.path, "/v2/layer/x/tags/list");
  EXPECT_EQ(plain.query, "");
  auto query = split_target("/v2/x/tags/list?n=1&last=a?b");
  EXPECT_EQ(query.path, "/v2/x/tags/list");
  EXPECT_EQ(query.query, "n=1&last=a?b");
}

// RFC 9112 3.2.2: a server accepts the absolute form, as a proxy's client sends it.
TEST(Route, AnAbsoluteFormTargetNamesItsPath) {
  auto absolute = split_target("http://127.0.0.1:5000/v2/layer/x/tags/list?n=1");
  EXPECT_EQ(absolute.path, "/v2/layer/x/tags/list");
  EXPECT_EQ(absolute.query, "n=1");
  EXPECT_EQ(split_target("HTTPS://registry.example/v2/").path, "/v2/");
  EXPECT_EQ(split_target("http://host").path, "/");
  auto bare_query = split_target("http://host?x=1");
  EXPECT_EQ(bare_query.path, "/");
  EXPECT_EQ(bare_query.query, "x=1");
  // Other schemes and shapes stay as they are, and are not found.
  EXPECT_EQ(split_target("ftp://host/v2/").path, "ftp://host/v2/");
  EXPECT_EQ(split_target("httpx://host/v2/").path, "httpx://host/v2/");
  EXPECT_EQ(split_target("v2/").path, "v2/");
  EXPECT_EQ(split_target("*").path, "*");
}

TEST(Route, RepositoryNameGrammar) {
  EXPECT_TRUE(is_repository_name("a"));
  EXPECT_TRUE(is_repository_name("a.b_c__d---e/f"));
  EXPECT_FALSE(is_repository_name("a___b"));
  EXPECT_FALSE(is_repository_name("a_"));
  EXPECT_FALSE(is_repository_name("/a"));
  EXPECT_FALSE(is_repository_name(std::string(256, 'a')));
}

}  // namespace
}  // namespace ocipfs

namespace ocipfs {
namespace {

// The warm answers' reading of a name (identify_repository) accepts exactly the names a route
// accepts, and finds the kind and CID parse_route finds.
TEST(Route, IdentifyRepositoryAgreesWithParseRoute) {
  const Cid cid = *parse_cid(testing::manifest_cid);
  const std::string base32 = cid.to_string();
  std::vector<std::string> names = {"layer/" + base32,
                                    "image/" + base32,
                                    "layer/k" + base36_lower_encode(cid.v1_bytes()),
                                    "layer/z" + base58btc_encode(cid.v1_bytes()),
                                    "layer/" + testing::layer_dir_cid,
                                    "layer/bafkqaaa",
                                    "layer/",
                                    "layer",
                                    "blob/" + base32,
                                    "layer/" + base32 + "/x",
                                    "Layer/" + base32,
                                    "layer/" + base32 + "a",
                                    "layer/b" + std::string(300, 'a')};
  const std::string alphabet = "abz27kAB/-._0";
  for (std::size_t i = 0; i < names[0].size(); ++i)
    for (char c : alphabet) {
      std::string name = names[0];
      name[i] = c;
      names.push_back(name);
    }
  int accepted = 0;
  for (const auto& name : names) {
    auto route = parse_route("/v2/" + name + "/tags/list");
    auto id = identify_repository(name);
    ASSERT_EQ(id.has_value(), route.has_value()) << name;
    if (!id) continue;
    ++accepted;
    EXPECT_EQ(id->kind, route->repository.kind) << name;
    EXPECT_EQ(id->cid.view(), route->repository.cid.v1_bytes()) << name;
  }
  EXPECT_GE(accepted, 4);
}

}  // namespace
}  // namespace ocipfs
