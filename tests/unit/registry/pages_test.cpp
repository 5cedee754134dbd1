// The pages for people, pure: routing of page paths and the look-up form, host validation,
// negotiation, and rendering of facts, errors and the home page.
#include "ocipfs/registry/pages.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ocipfs/registry/handler.hpp"
#include "support/rendered_image.hpp"
#include "support/test_data.hpp"

namespace ocipfs {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string hostile = "<img src=x onerror=alert(1)>.tar.gz";

struct PagesFixture : ::testing::Test {
  RedirectGateway redirect = *parse_redirect_gateway("https://gateway.example/");
  Image image_of(const std::string& file) {
    return synthesize_image(testing::raw_cid_of(testing::layer_manifest_json(file)),
                            *parse_layer_manifest(testing::layer_manifest_json(file)));
  }
  PageFacts facts_of(const Image& image, const std::string& tag = "latest") {
    auto route = page_route("/layer/" + std::string(image.cid()) + ":" + tag);
    EXPECT_TRUE(route);
    return page_facts(*route, image, redirect, "ocipfs.example:5000");
  }
};

TEST(PageRoutes, SplitRouteKnowsThePagesOutsideV2Only) {
  EXPECT_EQ(split_route("/").kind, RouteKind::page);
  EXPECT_EQ(split_route("/layer/bafk:x").kind, RouteKind::page);
  EXPECT_EQ(split_route("/image/x").kind, RouteKind::page);
  EXPECT_EQ(split_route("/layers").kind, RouteKind::unknown);
  EXPECT_EQ(split_route("/favicon.ico").kind, RouteKind::unknown);
  EXPECT_EQ(split_route("/v2/layer/x/manifests/latest").kind, RouteKind::manifest);
  EXPECT_EQ(split_route("/v2/").kind, RouteKind::base);
}

TEST(PageRoutes, APagePathIsTheManifestRouteOfItsReference) {
  const std::string cid = testing::manifest_cid;
  auto tagged = page_route("/layer/" + cid + ":hello.tar.gz");
  ASSERT_TRUE(tagged);
  EXPECT_EQ(tagged->kind, RouteKind::manifest);
  EXPECT_EQ(tagged->repository.name, "layer/" + cid);
  EXPECT_EQ(tagged->reference, "hello.tar.gz");
  EXPECT_EQ(page_route("/image/" + cid)->reference, "latest");
  EXPECT_EQ(page_route("/image/" + cid)->repository.kind, DocumentKind::image);
  auto digest = "sha256:" + std::string(64, 'a');
  EXPECT_EQ(page_route("/layer/" + cid + "@" + digest)->reference, digest);
}

TEST(PageRoutes, ABadReferenceGetsTheErrorAClientGets) {
  auto not_cid = page_route("/layer/notacid");
  ASSERT_FALSE(not_cid);
  auto v2 = parse_route("/v2/layer/notacid/manifests/latest");
  EXPECT_EQ(not_cid.error().status, v2.error().error.status);
  EXPECT_EQ(not_cid.error().code, v2.error().error.code);
  EXPECT_EQ(not_cid.error().message, v2.error().error.message);
  EXPECT_EQ(page_route("/layer/" + testing::manifest_cid + ":bad tag").error().code,
            ErrorCode::manifest_unknown);
  EXPECT_EQ(page_route("/layer/<img>").error().status, 400u);
}

TEST(LookupForm, NoCidIsTheHomePage) {
  EXPECT_FALSE(lookup_location(""));
  EXPECT_FALSE(lookup_location("kind=layer"));
}

TEST(LookupForm, ACidLeadsToItsPageInTheCanonicalForm) {
  const std::string cid = testing::manifest_cid;
  EXPECT_EQ(**lookup_location("cid=" + cid), "/layer/" + cid);
  EXPECT_EQ(**lookup_location("kind=image&cid=+" + cid + "%20"), "/image/" + cid);
  // A CIDv0 is shown as the CIDv1 a registry name needs.
  auto v0 = lookup_location("cid=" + testing::layer_dir_cid);
  ASSERT_TRUE(*v0);
  EXPECT_EQ(**v0, "/layer/" + parse_cid(testing::layer_dir_cid)->to_string());
  // A pasted reference keeps its kind and tag; its host is dropped.
  EXPECT_EQ(**lookup_location("cid=ocipfs.io%2Fimage%2F" + cid + "%3Av1"), "/image/" + cid + ":v1");
}

TEST(LookupForm, AnInvalidCidIs400SayingSo) {
  for (const std::string& query : std::vector<std::string>{
           "cid=", "cid=nope", "cid=%3Cscript%3E", "cid=" + std::string(600, 'b'),
           "cid=" + testing::manifest_cid + "&kind=other"}) {
    auto location = lookup_location(query);
    ASSERT_TRUE(location) << query;
    ASSERT_FALSE(*location) << query;
    EXPECT_EQ(location->error().status, 400u) << query;
    EXPECT_EQ(location->error().code, ErrorCode::name_invalid) << query;
  }
  EXPECT_THAT(lookup_location("cid=nope")->error().message, HasSubstr("\"nope\" is not a CID"));
}

TEST(PublicHost, OnlyAHostAndPortIsShown) {
  for (std::string_view good : {"ocipfs.io", "localhost:5000", "127.0.0.1:8080", "[::1]:5000",
                                "[2001:db8::1]", "A-b.example"})
    EXPECT_TRUE(is_public_host(good)) << good;
  for (std::string_view bad : {"", "a b", "<img>", "host:", "host:123456", "host:80x", "[::1",
                               "[]:80", "a\"b", "a'b", "a/b", "user@host", "[::1]x"})
    EXPECT_FALSE(is_public_host(bad)) << bad;
  EXPECT_FALSE(is_public_host(std::string(262, 'a')));
  EXPECT_EQ(example_host("", "localhost:5000"), "localhost:5000");
  EXPECT_EQ(example_host("ocipfs.io", "localhost:5000"), "ocipfs.io");
  EXPECT_EQ(example_host("", "<script>"), "HOST");
  EXPECT_EQ(example_host("", ""), "HOST");
}

TEST(PageFormatNegotiation, BrowsersGetHtmlEverythingElseJson) {
  EXPECT_EQ(page_format("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
            PageFormat::html);
  EXPECT_EQ(page_format("application/xhtml+xml"), PageFormat::html);
  EXPECT_EQ(page_format("application/json"), PageFormat::json);
  EXPECT_EQ(page_format("application/json, text/html"), PageFormat::json);
  EXPECT_EQ(page_format("*/*"), PageFormat::json);
  EXPECT_EQ(page_format(""), PageFormat::json);
}

TEST_F(PagesFixture, LayerFactsAreWhatInspectShows) {
  Image image = image_of("hello.tar.gz");
  PageFacts facts = facts_of(image);
  EXPECT_EQ(facts.reference,
            "ocipfs.example:5000/layer/" + std::string(image.cid()) + ":hello.tar.gz");
  ASSERT_EQ(facts.layers.size(), 1u);
  EXPECT_EQ(facts.layers[0].file_name, "hello.tar.gz");
  EXPECT_EQ(facts.layers[0].digest, testing::layer_digest);
  EXPECT_EQ(facts.layers[0].size, 1234u);
  EXPECT_EQ(facts.layers[0].diff_id, testing::layer_diff_id);
  EXPECT_EQ(facts.layers[0].ipfs_path, "/ipfs/" + testing::layer_dir_cid + "/hello.tar.gz");
  EXPECT_EQ(facts.layers[0].gateway_url,
            "https://gateway.example/ipfs/" + testing::layer_dir_cid + "/hello.tar.gz");
  EXPECT_EQ(facts.index, testing::RenderedImage(image).index.digest);
  EXPECT_EQ(facts.platforms.size(), image.platforms().size());
  EXPECT_EQ(facts.platforms[0].platform, "linux/amd64");
  EXPECT_EQ(facts.lines.front(), "COPY --from=" + facts.reference + " / /");

  std::string html = facts_html(facts);
  EXPECT_THAT(html, HasSubstr("COPY --from=" + facts.reference + " / /"));
  EXPECT_THAT(html, HasSubstr(testing::layer_diff_id));
  json parsed = json::parse(facts_json(facts));
  EXPECT_EQ(parsed["reference"], facts.reference);
  EXPECT_EQ(parsed["layers"][0]["size"], 1234);
  EXPECT_EQ(parsed["lines"][0], facts.lines.front());
}

TEST_F(PagesFixture, AHostileFileNameIsText) {
  Image image = image_of(hostile);
  std::string html = facts_html(facts_of(image));
  EXPECT_THAT(html, Not(HasSubstr("<img")));
  EXPECT_THAT(html, HasSubstr("&lt;img src=x onerror=alert(1)&gt;.tar.gz"));
  // The gateway link is percent-encoded, the attribute escaped besides.
  EXPECT_THAT(html, HasSubstr("%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E.tar.gz"));
  EXPECT_EQ(json::parse(facts_json(facts_of(image)))["layers"][0]["file"], hostile);
}

TEST_F(PagesFixture, AnUnknownTagIsRefusedAsTheRegistryRefusesIt) {
  Image image = image_of("hello.tar.gz");
  auto route = page_route("/layer/" + std::string(image.cid()) + ":other");
  auto refusal = manifest_refusal(*route, image);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->code, ErrorCode::manifest_unknown);
  EXPECT_THAT(refusal->message, HasSubstr("its tags are: hello.tar.gz, latest"));
  EXPECT_FALSE(
      manifest_refusal(*page_route("/layer/" + std::string(image.cid()) + ":hello.tar.gz"), image));
}

TEST_F(PagesFixture, HomePageNamesTheHostAndHasTheForm) {
  std::string html = home_html("localhost:5000", redirect);
  EXPECT_THAT(html, HasSubstr("COPY --from=localhost:5000/layer/&lt;cid&gt;:&lt;file&gt; / /"));
  EXPECT_THAT(html, HasSubstr("FROM localhost:5000/image/"));
  EXPECT_THAT(html, HasSubstr("docker pull localhost:5000/image/"));
  EXPECT_THAT(html, HasSubstr("<form method=\"get\" action=\"/\">"));
  EXPECT_THAT(html, HasSubstr("https://gateway.example/"));
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_EQ(json::parse(home_json("localhost:5000", redirect))["registry"], "localhost:5000");
}

TEST(PageAnswers, HeadersAndErrorsAreTheRegistrysOwn) {
  Request request{"GET", "/layer/<x>", "", "text/html", "", "", "", ""};
  RegistryError error = name_invalid("invalid repository name \"layer/<x>\"");
  Response page = error_page(error, PageFormat::html, request);
  EXPECT_EQ(page.status, 400u);
  EXPECT_EQ(page.reason, error_response(error, false).reason);
  EXPECT_EQ(header_value(page, "Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(header_value(page, "Cache-Control"), "no-store");
  EXPECT_THAT(header_value(page, "Content-Security-Policy"), HasSubstr("default-src 'none'"));
  EXPECT_EQ(header_value(page, "X-Content-Type-Options"), "nosniff");
  EXPECT_THAT(std::string(page.payload()), HasSubstr("&lt;x&gt;"));
  EXPECT_THAT(std::string(page.payload()), Not(HasSubstr("<x>")));
  Response as_json = error_page(error, PageFormat::json, request);
  EXPECT_EQ(as_json.body, error_body(error));
  Request head{"HEAD", "/", "", "text/html", "", "", "", ""};
  Response home = page_response(home_html("h", *parse_redirect_gateway("https://g.example")),
                                PageFormat::html, head.head(), false);
  EXPECT_TRUE(home.head);
  EXPECT_GT(home.content_length, 0u);
}

}  // namespace
}  // namespace ocipfs
