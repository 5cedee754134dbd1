// The pages for people over the real server and the fake gateway: statuses, headers,
// negotiation, the look-up form's redirects, and a hostile file name in a real layer manifest.
#include <gmock/gmock.h>

#include "ocipfs/image/image_document.hpp"
#include "support/server_fixture.hpp"

namespace ocipfs {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* browser_accept =
    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

class PagesTest : public ServerTest {
 protected:
  testing::HttpResult page(const std::string& target, const std::string& method = "GET",
                           testing::Headers headers = {}) {
    headers.emplace_back("Accept", browser_accept);
    return get(target, method, headers);
  }
  void expect_page_headers(const testing::HttpResult& result) {
    EXPECT_EQ(result.header("content-type"), "text/html; charset=utf-8");
    EXPECT_EQ(result.header("content-security-policy"),
              "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
              "base-uri 'none'; frame-ancestors 'none'");
    EXPECT_EQ(result.header("x-content-type-options"), "nosniff");
    EXPECT_EQ(result.header("referrer-policy"), "no-referrer");
  }
};

TEST_F(PagesTest, HomePageNamesTheRequestsHostOrThePublicHost) {
  auto home = page("/");
  EXPECT_EQ(home.status, 200u);
  expect_page_headers(home);
  std::string host = "127.0.0.1:" + std::to_string(server->port());
  EXPECT_THAT(home.body, HasSubstr("COPY --from=" + host + "/layer/"));
  EXPECT_THAT(home.body, HasSubstr("https://public.example/base"));
  auto hostile = page("/", "GET", {{"Host", "evil.example\"><b>"}});
  EXPECT_THAT(hostile.status, 400u);  // refused before any page, as the registry refuses it
  // A Host of the URI grammar (sub-delims and all) that is no plain host[:port] is not echoed.
  auto odd = page("/", "GET", {{"Host", "evil.example'&x=(1)"}});
  EXPECT_EQ(odd.status, 200u);
  EXPECT_THAT(odd.body, HasSubstr("COPY --from=HOST/layer/"));
  EXPECT_THAT(odd.body, Not(HasSubstr("evil")));
  auto other = page("/", "GET", {{"Host", "other.example:5000"}});
  EXPECT_THAT(other.body, HasSubstr("FROM other.example:5000/image/"));
  start({"--public-host=ocipfs.example"});
  auto pinned = page("/", "GET", {{"Host", "other.example:5000"}});
  EXPECT_THAT(pinned.body, HasSubstr("docker pull ocipfs.example/image/"));
  EXPECT_THAT(pinned.body, Not(HasSubstr("other.example")));
  auto head = page("/", "HEAD");
  EXPECT_EQ(head.status, 200u);
  EXPECT_TRUE(head.body.empty());
  EXPECT_EQ(head.header("content-length"), std::to_string(pinned.body.size()));
}

TEST_F(PagesTest, LayerPageShowsWhatAPullGets) {
  auto layer = page("/layer/" + cid + ":hello.tar.gz");
  ASSERT_EQ(layer.status, 200u) << layer.body;
  expect_page_headers(layer);
  EXPECT_EQ(layer.header("cache-control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(layer.header("vary"), "Accept");
  EXPECT_THAT(layer.body, HasSubstr(testing::layer_digest));
  EXPECT_THAT(layer.body, HasSubstr(image.index.digest));
  EXPECT_THAT(layer.body, HasSubstr("/ipfs/" + testing::layer_dir_cid + "/hello.tar.gz"));
  EXPECT_THAT(layer.body, HasSubstr("https://public.example/base/ipfs/"));
  EXPECT_THAT(layer.body, HasSubstr("COPY --from=127.0.0.1:"));
  auto as_json = get("/layer/" + cid, "GET", {{"Accept", "application/json"}});
  EXPECT_EQ(as_json.header("content-type"), "application/json");
  json facts = json::parse(as_json.body);
  EXPECT_EQ(facts["layers"][0]["digest"], testing::layer_digest);
  EXPECT_EQ(facts["index"], image.index.digest);
  // curl's */* gets the JSON too.
  EXPECT_EQ(json::parse(get("/layer/" + cid).body)["cid"], cid);
}

TEST_F(PagesTest, ErrorsAreWhatAClientGets) {
  gateway.set("/ipfs/" + cid, {testing::FakeReply::Kind::respond, 404, "not found", {}});
  auto v2 = get(repo + "/manifests/latest");
  auto missing = page("/layer/" + cid);
  EXPECT_EQ(missing.status, v2.status);
  EXPECT_EQ(missing.header("cache-control"), "no-store");
  expect_page_headers(missing);
  EXPECT_THAT(missing.body, HasSubstr("MANIFEST_UNKNOWN"));
  auto as_json = get("/layer/" + cid, "GET", {{"Accept", "application/json"}});
  EXPECT_EQ(as_json.status, v2.status);
  EXPECT_EQ(as_json.body, v2.body);
  auto bad = page("/layer/notacid:latest");
  EXPECT_EQ(bad.status, 404u);
  EXPECT_THAT(bad.body, HasSubstr("NAME_UNKNOWN"));
  EXPECT_EQ(page("/favicon.ico").status, 404u);
}

TEST_F(PagesTest, AnUnknownTagIsTheRegistrysError) {
  auto v2 = get(repo + "/manifests/nope");
  auto tag = get("/layer/" + cid + ":nope", "GET", {{"Accept", "application/json"}});
  EXPECT_EQ(tag.status, 404u);
  EXPECT_EQ(tag.body, v2.body);
}

TEST_F(PagesTest, TheFormRedirectsToTheCidsPageOrSaysWhyNot) {
  auto found = page("/?kind=layer&cid=" + cid);
  EXPECT_EQ(found.status, 303u);
  EXPECT_EQ(found.header("location"), "/layer/" + cid);
  auto image_kind = page("/?kind=image&cid=" + cid);
  EXPECT_EQ(image_kind.header("location"), "/image/" + cid);
  auto invalid = page("/?kind=layer&cid=%3Cscript%3Ealert(1)%3C%2Fscript%3E");
  EXPECT_EQ(invalid.status, 400u);
  expect_page_headers(invalid);
  EXPECT_THAT(invalid.body, HasSubstr("is not a CID"));
  EXPECT_THAT(invalid.body, Not(HasSubstr("<script>")));
}

TEST_F(PagesTest, AHostileFileNameIsEscaped) {
  std::string manifest = testing::layer_manifest_json("<img src=x onerror=alert(1)>.tar.gz");
  std::string hostile = publish(manifest);
  auto layer = page("/layer/" + hostile);
  ASSERT_EQ(layer.status, 200u) << layer.body;
  EXPECT_THAT(layer.body, Not(HasSubstr("<img")));
  EXPECT_THAT(layer.body, HasSubstr("&lt;img src=x onerror=alert(1)&gt;.tar.gz"));
}

TEST_F(PagesTest, ImagePageShowsEachLayerAndTheLinesToRun) {
  std::string app = publish(testing::layer_manifest_json("app.tar.gz"));
  std::string document = json{
      {"mediaType", image_document_media_type},
      {"layers", {cid, app}},
      {"tag", "app-1"}}.dump();
  std::string image_cid = publish(document);
  auto page_of_image = page("/image/" + image_cid + ":app-1");
  ASSERT_EQ(page_of_image.status, 200u) << page_of_image.body;
  std::string host = "127.0.0.1:" + std::to_string(server->port());
  EXPECT_THAT(page_of_image.body, HasSubstr("FROM " + host + "/image/" + image_cid + ":app-1"));
  EXPECT_THAT(page_of_image.body, HasSubstr("docker run --rm " + host + "/image/"));
  EXPECT_THAT(page_of_image.body, HasSubstr("Layer 2"));
  EXPECT_THAT(page_of_image.body, HasSubstr(app));
  json facts =
      json::parse(get("/image/" + image_cid, "GET", {{"Accept", "application/json"}}).body);
  EXPECT_EQ(facts["layers"].size(), 2u);
  EXPECT_EQ(facts["layers"][1]["file"], "app.tar.gz");
  EXPECT_EQ(facts["reference"], host + "/image/" + image_cid + ":app-1");
  // The same CID as a layer is the error a pull of layer/<cid> gets.
  auto as_layer = get("/layer/" + image_cid, "GET", {{"Accept", "application/json"}});
  auto v2 = get("/v2/layer/" + image_cid + "/manifests/latest");
  EXPECT_EQ(as_layer.status, v2.status);
  EXPECT_EQ(as_layer.body, v2.body);
}

TEST_F(PagesTest, TheRegistryIsUnchanged) {
  EXPECT_EQ(get("/v2/").status, 200u);
  auto manifest = get(repo + "/manifests/latest", "GET", {{"Accept", accept_all}});
  EXPECT_EQ(manifest.status, 200u);
  EXPECT_FALSE(manifest.has_header("content-security-policy"));
}

}  // namespace
}  // namespace ocipfs
