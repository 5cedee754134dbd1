// The server on 127.0.0.1:0 against an in-process fake gateway: every endpoint, verification and
// caching. Gateway faults are in hostile_gateway_test.cpp.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>
#include <tuple>

#include "ocipfs/formats/multibase.hpp"
#include "ocipfs/formats/verify.hpp"
#include "ocipfs/http/request_head.hpp"
#include "ocipfs/image/image.hpp"
#include "support/fake_gateway.hpp"
#include "support/http_client.hpp"
#include "support/server_fixture.hpp"
#include "support/test_data.hpp"

namespace ocipfs {
namespace {

using nlohmann::json;
using testing::FakeGateway;
using testing::FakeReply;
using ::testing::HasSubstr;
using testing::http_request;
using testing::HttpResult;
using ::testing::Not;

TEST_F(ServerTest, BaseEndpoint) {
  for (const char* method : {"GET", "HEAD"}) {
    auto result = get("/v2/", method);
    EXPECT_EQ(result.status, 200u);
    EXPECT_EQ(result.header("docker-distribution-api-version"), "registry/2.0");
    EXPECT_EQ(result.header("content-type"), "application/json");
    EXPECT_EQ(result.header("content-length"), "2");
    EXPECT_EQ(result.body, std::string(method) == "GET" ? "{}" : "");
  }
}

TEST_F(ServerTest, ManifestByTagAndDigestAgree) {
  auto head = get(repo + "/manifests/latest", "HEAD", {{"Accept", accept_all}});
  EXPECT_EQ(head.status, 200u);
  EXPECT_EQ(head.header("content-type"), oci_index_media_type);
  EXPECT_EQ(head.header("content-length"), std::to_string(image.index.bytes.size()));
  EXPECT_EQ(head.header("docker-content-digest"), image.index.digest);
  EXPECT_TRUE(head.body.empty());

  auto by_digest = get(repo + "/manifests/" + head.header("docker-content-digest"), "GET",
                       {{"Accept", accept_all}});
  EXPECT_EQ(by_digest.status, 200u);
  EXPECT_EQ(by_digest.body, image.index.bytes);
  EXPECT_EQ(by_digest.header("docker-content-digest"), image.index.digest);

  auto file_tag = get(repo + "/manifests/hello.tar.gz", "GET",
                      {{"Accept", "application/vnd.oci.image.manifest.v1+json"}});
  EXPECT_EQ(file_tag.status, 200u);
  EXPECT_EQ(file_tag.header("content-type"), "application/vnd.oci.image.manifest.v1+json");
  EXPECT_EQ(file_tag.body, image.default_platform().manifest.bytes);
}

TEST_F(ServerTest, UnknownTagAndDigest) {
  auto tag = get(repo + "/manifests/v1.0");
  EXPECT_EQ(tag.status, 404u);
  EXPECT_EQ(error_code(tag), "MANIFEST_UNKNOWN");
  EXPECT_THAT(error_message(tag), HasSubstr("its tags are: hello.tar.gz, latest"));

  for (const char* method : {"GET", "HEAD"}) {
    EXPECT_EQ(get(repo + "/manifests/.INVALID_MANIFEST_NAME", method).status, 404u);
    EXPECT_EQ(get(repo + "/manifests/sha256:" + std::string(64, '0'), method).status, 404u);
  }
  auto malformed = get(repo + "/manifests/sha256:totallywrong");
  EXPECT_EQ(malformed.status, 400u);
  EXPECT_EQ(error_code(malformed), "DIGEST_INVALID");
}

TEST_F(ServerTest, Blobs) {
  const auto& config = image.default_platform().config;
  for (const char* method : {"GET", "HEAD"}) {
    auto result = get(repo + "/blobs/" + config.digest, method);
    EXPECT_EQ(result.status, 200u);
    EXPECT_EQ(result.header("content-type"), oci_config_media_type);
    EXPECT_EQ(result.header("docker-content-digest"), config.digest);
    EXPECT_EQ(result.header("content-length"), std::to_string(config.bytes.size()));
  }
  auto layer = get(repo + "/blobs/" + testing::layer_digest);
  EXPECT_EQ(layer.status, 302u);
  EXPECT_EQ(layer.header("location"),
            "https://public.example/base/ipfs/" + testing::layer_dir_cid + "/hello.tar.gz");
  EXPECT_EQ(layer.header("docker-content-digest"), testing::layer_digest);

  auto layer_head = get(repo + "/blobs/" + testing::layer_digest, "HEAD");
  EXPECT_EQ(layer_head.status, 200u);
  EXPECT_EQ(layer_head.header("content-length"), "1234");
  EXPECT_EQ(layer_head.header("docker-content-digest"), testing::layer_digest);
  EXPECT_FALSE(layer_head.has_header("location"));

  auto unknown = get(repo + "/blobs/sha256:" + std::string(64, 'a'));
  EXPECT_EQ(unknown.status, 404u);
  EXPECT_EQ(error_code(unknown), "BLOB_UNKNOWN");
  EXPECT_EQ(get(repo + "/blobs/sha256:nothex").status, 400u);
}

TEST_F(ServerTest, TagsList) {
  auto result = get(repo + "/tags/list");
  EXPECT_EQ(result.status, 200u);
  EXPECT_EQ(json::parse(result.body),
            json({{"name", "layer/" + cid}, {"tags", {"hello.tar.gz", "latest"}}}));
}

TEST_F(ServerTest, WritesAreRefused) {
  for (const char* method : {"POST", "PUT", "PATCH", "DELETE"}) {
    for (std::string target : std::vector<std::string>{
             repo + "/blobs/uploads/", repo + "/manifests/latest", std::string("/v2/")}) {
      auto result = get(target, method);
      EXPECT_EQ(result.status, 405u) << method << " " << target;
      EXPECT_EQ(result.header("allow"), "GET, HEAD");
      EXPECT_EQ(error_code(result), "UNSUPPORTED");
    }
  }
}

TEST_F(ServerTest, Names) {
  auto unknown = get("/v2/library/ubuntu/manifests/latest");
  EXPECT_EQ(unknown.status, 404u);
  EXPECT_EQ(error_code(unknown), "NAME_UNKNOWN");
  auto invalid = get("/v2/layer/Bafy/manifests/latest");
  EXPECT_EQ(invalid.status, 400u);
  EXPECT_EQ(error_code(invalid), "NAME_INVALID");
}

TEST_F(ServerTest, InvalidLayerManifestSaysWhatAndWhere) {
  std::string broken = R"({"mediaType":"application/vnd.ocipfs.layer.manifest.v1+json","layer":)"
                       R"({"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":")" +
                       testing::layer_digest +
                       R"(","size":1,"annotations":{"io.ocipfs.layer.ipfs.cid":")" +
                       testing::layer_dir_cid + R"("}}})";
  std::string broken_cid = publish(broken);
  auto missing = get("/v2/layer/" + broken_cid + "/manifests/latest");
  EXPECT_EQ(missing.status, 404u);
  EXPECT_EQ(error_code(missing), "MANIFEST_INVALID");
  EXPECT_THAT(error_message(missing), HasSubstr(broken_cid));
  EXPECT_THAT(error_message(missing),
              HasSubstr("layer.annotations.io.ocipfs.layer.fs.digest is missing"));

  std::string binary = "\x1f\x8b binary";
  auto not_json = get("/v2/layer/" + publish(binary) + "/manifests/latest");
  EXPECT_EQ(not_json.status, 404u);
  EXPECT_THAT(error_message(not_json), HasSubstr("not valid JSON"));
}

TEST_F(ServerTest, HostileAnnotationsNeverBecomeRedirects) {
  for (std::string path : std::vector<std::string>{
           "https://evil.example/x.tar", "/etc/passwd", testing::layer_dir_cid + "/a\r\nX: y",
           testing::layer_dir_cid + "/a\\b", testing::layer_dir_cid + "/x?y",
           testing::layer_dir_cid + "/x#y", testing::layer_dir_cid + "/../x", "//evil.example/x"}) {
    json document = json::parse(testing::layer_manifest_json());
    document["layer"]["annotations"]["io.ocipfs.layer.ipfs.cid"] = path;
    std::string hostile_cid = publish(document.dump());
    auto blob = get("/v2/layer/" + hostile_cid + "/blobs/" + testing::layer_digest);
    EXPECT_EQ(blob.status, 404u) << path;
    EXPECT_EQ(error_code(blob), "MANIFEST_INVALID") << path;
    EXPECT_FALSE(blob.has_header("location")) << path;
  }
}

TEST_F(ServerTest, GatewayConnectionsAreKeptAlive) {
  stop();
  start({"--threads=1"});
  for (int i = 0; i < 5; ++i) {
    std::string other = publish(testing::layer_manifest_json("file" + std::to_string(i) + ".tar"));
    EXPECT_EQ(get("/v2/layer/" + other + "/manifests/latest").status, 200u);
  }
  EXPECT_EQ(gateway.connection_count(), 1u);
}

TEST_F(ServerTest, BadRequestsAreAnsweredAndClosed) {
  auto body = testing::raw_exchange(server->port(),
                                    "GET /v2/ HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
  EXPECT_THAT(body, HasSubstr("HTTP/1.1 400"));
  auto huge = testing::raw_exchange(server->port(), "GET /v2/ HTTP/1.1\r\nHost: x\r\nX-Big: " +
                                                        std::string(64 * 1024, 'a') + "\r\n\r\n");
  EXPECT_THAT(huge, HasSubstr("HTTP/1.1 431"));
  auto long_line = testing::raw_exchange(
      server->port(), "GET /v2/" + std::string(64 * 1024, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_THAT(long_line, HasSubstr("HTTP/1.1 414"));
  EXPECT_THAT(long_line, HasSubstr("request line too long"));
  auto garbage = testing::raw_exchange(server->port(), "\x01\x02 nonsense\r\n\r\n");
  EXPECT_THAT(garbage, HasSubstr("HTTP/1.1 400"));
  // Still serving.
  EXPECT_EQ(get("/v2/").status, 200u);
}

TEST_F(ServerTest, ConnectionsOverTheLimitAreRefusedCleanly) {
  stop();
  start({"--max-connections=2", "--threads=1"});
  // Two connections that have been answered once are held open: the server counts them.
  testing::KeptAliveClient first(server->port()), second(server->port());
  ASSERT_EQ(first.request("/v2/").status, 200u);
  ASSERT_EQ(second.request("/v2/").status, 200u);
  auto refused = testing::raw_exchange(server->port(), "GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_THAT(refused, HasSubstr("HTTP/1.1 503 Service Unavailable: too many connections"));
  EXPECT_THAT(refused, HasSubstr("Retry-After: 1\r\n"));
  EXPECT_THAT(refused, HasSubstr("Connection: close\r\n"));
  EXPECT_THAT(refused,
              HasSubstr(R"({"errors":[{"code":"UNAVAILABLE","message":"too many connections)"));
  first.close();
  // Served again once a connection has closed (the server notices within moments).
  bool served = false;
  for (int attempt = 0; attempt < 200 && !served; ++attempt) {
    served = get("/v2/").status == 200;
    if (!served) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(served);
  auto metrics = second.request("/metrics").body;  // every refusal is counted
  EXPECT_THAT(metrics, HasSubstr("ocipfs_connections_refused_total "));
  EXPECT_THAT(metrics, Not(HasSubstr("ocipfs_connections_refused_total 0\n")));
}

TEST(DescriptorBudget, ClientsAndGatewaySocketsFitTheLimit) {
  using Fit = std::tuple<std::size_t, std::size_t, std::size_t>;
  auto budget = [](std::size_t connections, std::size_t fetches, std::size_t transfers,
                   std::size_t idle, std::uint64_t limit) {
    auto fit = descriptor_budget({connections, fetches, transfers}, idle, limit);
    // An eighth and 16 kept for the process, then at most half of the rest for gateways.
    std::uint64_t room = limit - limit / 8 > 16 ? limit - limit / 8 - 16 : 1;
    const std::uint64_t idle_kept = std::min<std::uint64_t>(idle, room / 2);
    EXPECT_LE(fit.gateway_fetches + fit.blob_transfers + idle_kept,
              std::max<std::uint64_t>(room / 2, 2));
    EXPECT_LE(fit.connections + fit.gateway_fetches + fit.blob_transfers + idle_kept,
              std::max<std::uint64_t>(room, 3));
    return Fit{fit.connections, fit.gateway_fetches, fit.blob_transfers};
  };
  EXPECT_EQ(budget(16384, 256, 0, 32, 1'048'576), (Fit{16384, 256, 0}));
  EXPECT_EQ(budget(16384, 256, 0, 32, 20'000), (Fit{16384, 256, 0}));
  EXPECT_EQ(budget(16384, 256, 0, 32, 1024), (Fit{592, 256, 0}));   // 880 of room
  EXPECT_EQ(budget(16384, 5000, 0, 32, 1024), (Fit{440, 408, 0}));  // fetches lowered to half
  EXPECT_EQ(budget(100, 256, 0, 32, 1024), (Fit{100, 256, 0}));
  EXPECT_EQ(budget(16384, 256, 0, 32, 256), (Fit{104, 72, 0}));
  EXPECT_EQ(budget(16384, 256, 0, 32, 8), (Fit{1, 1, 0}));
  // Proxied layers hold a gateway socket each: they share the gateways' half with fetches.
  EXPECT_EQ(budget(16384, 256, 64, 32, 1024), (Fit{528, 256, 64}));
  EXPECT_EQ(budget(16384, 600, 200, 32, 1024), (Fit{440, 306, 102}));  // 408 of 800, 3 to 1
  EXPECT_EQ(budget(16384, 256, 64, 32, 8), (Fit{1, 1, 1}));
}

TEST_F(ServerTest, IdleConnectionsAreClosed) {
  stop();
  start({"--idle-timeout=200ms", "--request-timeout=300ms"});
  auto started = std::chrono::steady_clock::now();
  // Nothing sent: closed by the idle timeout, long before the client's own 10 s limit.
  EXPECT_EQ(testing::raw_exchange(server->port(), "", 10'000), "");
  // A header that never ends: closed by the request timeout.
  EXPECT_EQ(testing::raw_exchange(server->port(), "GET /v2/ HTTP/1.1\r\nHost: x\r\n", 10'000), "");
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(8));
}

TEST_F(ServerTest, Http10KeepAliveIsAnnounced) {
  // The second request closes the connection, so the exchange ends.
  auto answers = testing::raw_exchange(
      server->port(),
      "GET /v2/ HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /v2/ HTTP/1.0\r\n\r\n");
  auto second = answers.find("HTTP/1.1 200", 1);
  ASSERT_NE(second, std::string::npos) << answers;
  EXPECT_THAT(answers.substr(0, second), HasSubstr("Connection: keep-alive\r\n"));
  EXPECT_THAT(answers.substr(second), HasSubstr("Connection: close\r\n"));
}

// RFC 9112: an absolute-form target (3.2.2) names its path, and empty lines before a request line
// are ignored (2.2), on the fast scan and through the full parser (a Content-Length: 0) alike.
TEST_F(ServerTest, AbsoluteFormTargetsAndLeadingEmptyLines) {
  const std::string origin = "http://127.0.0.1:" + std::to_string(server->port());
  for (const std::string extra : {"", "Content-Length: 0\r\n"}) {
    auto absolute =
        testing::raw_exchange(server->port(), "GET " + origin + "/v2/ HTTP/1.1\r\nHost: x\r\n" +
                                                  extra + "Connection: close\r\n\r\n");
    EXPECT_THAT(absolute, ::testing::StartsWith("HTTP/1.1 200 OK\r\n")) << extra;
    auto blank = testing::raw_exchange(server->port(), "\r\n\r\nGET /v2/ HTTP/1.1\r\nHost: x\r\n" +
                                                           extra + "Connection: close\r\n\r\n");
    EXPECT_THAT(blank, ::testing::StartsWith("HTTP/1.1 200 OK\r\n")) << extra;
  }
  auto manifest = get(origin + repo + "/manifests/latest");
  EXPECT_EQ(manifest.status, 200u);
  EXPECT_EQ(manifest.header("docker-content-digest"), image.index.digest);
}

TEST_F(ServerTest, KeepAliveAndPipelining) {
  std::string request = "GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n";
  auto answers = testing::raw_exchange(
      server->port(),
      request + request + "GET /v2/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  std::size_t count = 0;
  for (auto at = answers.find("HTTP/1.1 200"); at != std::string::npos;
       at = answers.find("HTTP/1.1 200", at + 1))
    ++count;
  EXPECT_EQ(count, 3u);
}

// --- Request framing (RFC 9112) that a proxy in front would read the same way. ---

// The status lines in what a raw exchange read, in order.
std::vector<std::string> status_lines(const std::string& answers) {
  std::vector<std::string> lines;
  for (auto at = answers.find("HTTP/1.1 "); at != std::string::npos;
       at = answers.find("HTTP/1.1 ", at + 1))
    lines.push_back(answers.substr(at, answers.find("\r\n", at) - at));
  return lines;
}

// A request that would be served if the connection stayed open after the one before it.
const std::string smuggled = "GET /v2/smuggled HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

// Sends `head` then `smuggled`: the answer to `head` must be `status`, the only one, and say
// Connection: close (the server closed).
void expect_refused_and_closed(std::uint16_t port, const std::string& head, unsigned status) {
  auto answers = testing::raw_exchange(port, head + smuggled);
  EXPECT_THAT(status_lines(answers), ::testing::ElementsAre(HasSubstr(std::to_string(status))))
      << head;
  EXPECT_THAT(answers, HasSubstr("Connection: close\r\n")) << head;
  EXPECT_THAT(answers, HasSubstr(R"({"errors":[{"code":"UNSUPPORTED")")) << head;
}

// RFC 9112 6.3: a Transfer-Encoding whose last coding is not chunked leaves the body's end unknown:
// 400 and close, so the body is never read as the next request.
TEST_F(ServerTest, TransferEncodingNotEndingInChunkedIsRefusedAndClosed) {
  for (const std::string codings :
       {"gzip", "xchunked", "chunked, gzip", "chunked, chunked", "gzip\r\nTransfer-Encoding: x"}) {
    for (const std::string method : {"GET", "POST"})
      expect_refused_and_closed(
          server->port(),
          method + " /v2/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: " + codings + "\r\n\r\n", 400);
  }
  // Both framings (RFC 9112 6.3, 3), and any Transfer-Encoding on HTTP/1.0 (6.1).
  expect_refused_and_closed(
      server->port(),
      "POST /v2/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\nContent-Length: 3\r\n\r\nabc",
      400);
  expect_refused_and_closed(
      server->port(), "POST /v2/ HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400);
}

// A body is never read: the connection closes after the answer to any request that has one.
TEST_F(ServerTest, ARequestWithABodyClosesTheConnection) {
  for (const std::string framing :
       {"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "Transfer-Encoding: gzip, chunked\r\n\r\n",
        "Content-Length: 3\r\n\r\nabc"}) {
    auto answers = testing::raw_exchange(server->port(),
                                         "POST /v2/ HTTP/1.1\r\nHost: x\r\n" + framing + smuggled);
    EXPECT_THAT(
        status_lines(answers),
        ::testing::ElementsAre("HTTP/1.1 405 Method Not Allowed: this registry is read-only: "
                               "POST is not supported, only GET and HEAD"))
        << framing;
    EXPECT_THAT(answers, HasSubstr("Connection: close\r\n")) << framing;
  }
}

// RFC 9110 7.6.1: every Connection line counts, and "close" wins wherever it is; on the fast scan
// and through the full parser (a Content-Length: 0) alike.
TEST_F(ServerTest, EveryConnectionLineCounts) {
  for (const std::string version : {"1.1", "1.0"}) {
    for (const std::string extra : {"", "Content-Length: 0\r\n"}) {
      for (const std::string lines : {"Connection: keep-alive\r\nConnection: close\r\n",
                                      "Connection: close\r\nConnection: keep-alive\r\n",
                                      "Connection: close, keep-alive\r\n"}) {
        std::string head = "GET /v2/ HTTP/" + version + "\r\nHost: x\r\n" + extra + lines + "\r\n";
        auto answers = testing::raw_exchange(server->port(), head + smuggled);
        EXPECT_THAT(status_lines(answers), ::testing::ElementsAre("HTTP/1.1 200 OK")) << head;
        EXPECT_THAT(answers, HasSubstr("Connection: close\r\n")) << head;
      }
    }
  }
}

// RFC 9112 3.2: an HTTP/1.1 request without Host, and any with two or with a value that is no
// host, is answered 400 and closed; HTTP/1.0 may leave Host out.
TEST_F(ServerTest, HostIsRequiredOnce) {
  for (const std::string extra : {"", "Content-Length: 0\r\n"}) {
    for (const std::string head :
         {"GET /v2/ HTTP/1.1\r\n", "GET /v2/ HTTP/1.1\r\nHost: a\r\nHost: a\r\n",
          "GET /v2/ HTTP/1.1\r\nHost: a\r\nAccept: */*\r\nhost: b\r\n",
          "GET /v2/ HTTP/1.0\r\nHost: a\r\nHost: b\r\n", "GET /v2/ HTTP/1.1\r\nHost: a b\r\n",
          "GET /v2/ HTTP/1.1\r\nHost: evil.example/path\r\n"}) {
      expect_refused_and_closed(server->port(), head + extra + "\r\n", 400);
    }
    auto http10 = testing::raw_exchange(server->port(), "GET /v2/ HTTP/1.0\r\n" + extra + "\r\n");
    EXPECT_THAT(http10, ::testing::StartsWith("HTTP/1.1 200 OK\r\n")) << extra;
    auto literal = testing::raw_exchange(
        server->port(), "GET /v2/ HTTP/1.1\r\nHost: [::1]:5000\r\n" + extra + "\r\n" + smuggled);
    EXPECT_THAT(status_lines(literal), ::testing::ElementsAre("HTTP/1.1 200 OK", ::testing::_))
        << extra;
  }
}

// GET /v2/ with Host, `extra` fields and an X-Pad field that makes the head `size` bytes.
std::string head_of_size(std::size_t size, const std::string& extra) {
  std::string head = "GET /v2/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + extra + "X-Pad: ";
  head += std::string(size - head.size() - 4, 'p');
  return head + "\r\n\r\n";
}

// The 16 KiB limit is the whole head's, request line, fields and CRLFs together: on the fast scan
// and through the full parser alike, however it is split.
TEST_F(ServerTest, TheHeadLimitIsTheWholeHead) {
  const std::size_t limit = 16 * 1024;
  for (const std::string extra : {"", "Content-Length: 0\r\n"}) {
    auto fits = testing::raw_exchange(server->port(), head_of_size(limit, extra));
    EXPECT_THAT(fits, ::testing::StartsWith("HTTP/1.1 200 OK\r\n")) << extra;
    expect_refused_and_closed(server->port(), head_of_size(limit + 1, extra), 431);
  }
  // 3,600 short fields, 31.6 KiB: each line is short, the head is not.
  std::string many = "GET /v2/ HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 3600; ++i) many += "X-F: 12\r\n";
  expect_refused_and_closed(server->port(), many + "\r\n", 431);
  // A 10 KiB request line and a 10 KiB field: each under the limit, together over it.
  expect_refused_and_closed(server->port(),
                            "GET /v2/" + std::string(10 * 1024, 'a') +
                                " HTTP/1.1\r\nHost: x\r\nX: " + std::string(10 * 1024, 'b') +
                                "\r\n\r\n",
                            431);
}

// At most max_request_fields fields, Host included: past it, 431.
TEST_F(ServerTest, MoreThanTheFieldLimitIsRefused) {
  for (const std::string extra : {"", "Content-Length: 0\r\n"}) {
    std::string fields = "Host: x\r\nConnection: close\r\n" + extra;
    for (auto count = static_cast<std::size_t>(std::count(fields.begin(), fields.end(), '\n'));
         count < max_request_fields; ++count)
      fields += "X-" + std::to_string(count) + ": v\r\n";
    auto fits = testing::raw_exchange(server->port(), "GET /v2/ HTTP/1.1\r\n" + fields + "\r\n");
    EXPECT_THAT(fits, ::testing::StartsWith("HTTP/1.1 200 OK\r\n")) << extra;
    auto over = testing::raw_exchange(server->port(),
                                      "GET /v2/ HTTP/1.1\r\n" + fields + "X-Last: v\r\n\r\n");
    EXPECT_THAT(over, ::testing::StartsWith("HTTP/1.1 431 ")) << extra;
    EXPECT_THAT(over, HasSubstr("too many request header fields"));
  }
}

// --- Trust: what a gateway returns must be what the CID names. ---

std::string dag_pb_cid_of(const std::string& block) {
  auto hash = sha256(block);
  return Cid{1, multicodec::dag_pb, multihash::sha2_256,
             std::string(reinterpret_cast<const char*>(hash.data()), hash.size())}
      .to_string();
}

const testing::Headers raw_block = {{"Content-Type", "application/vnd.ipld.raw"}};

TEST_F(ServerTest, AsksForTrustlessBlocks) {
  EXPECT_EQ(get(repo + "/manifests/latest").status, 200u);
  auto accepts = gateway.accept_headers();
  ASSERT_FALSE(accepts.empty());
  EXPECT_EQ(accepts.back(), "application/vnd.ipld.raw");
}

TEST_F(ServerTest, LyingGatewayRightStatusWrongBytes) {
  json other = json::parse(testing::layer_manifest_json());
  other["layer"]["annotations"]["io.ocipfs.layer.ipfs.cid"] = testing::layer_dir_cid + "/evil.tar";
  gateway.serve_cid(cid, other.dump());
  auto result = get(repo + "/manifests/latest");
  EXPECT_EQ(result.status, 502u);
  EXPECT_EQ(error_code(result), "UNAVAILABLE");
  EXPECT_THAT(error_message(result),
              HasSubstr("the gateway returned content that does not match the CID"));
  EXPECT_EQ(get(repo + "/blobs/" + testing::layer_digest).status, 502u);

  stop();
  start({"--verify=off"});
  auto trusting = get(repo + "/manifests/hello.tar.gz");
  EXPECT_EQ(trusting.status, 404u);  // the lie is served as is: its file name is evil.tar
  EXPECT_THAT(error_message(trusting), HasSubstr("evil.tar"));
}

TEST_F(ServerTest, DagPbManifestFromAPlainGateway) {
  std::string content = testing::layer_manifest_json();
  std::string dag_pb_cid = dag_pb_cid_of(encode_unixfs_file_block(content));
  gateway.serve_cid(dag_pb_cid, content);  // a plain gateway sends the file, not the block
  auto result = get("/v2/layer/" + dag_pb_cid + "/manifests/latest");
  EXPECT_EQ(result.status, 200u) << result.body;
}

// A trustless gateway sends blocks and CARs, never the file: even with --verify=off it is
// asked for them, and its answer is read as one.
TEST_F(ServerTest, ATrustlessGatewayIsAskedForBlocksEvenWithVerifyOff) {
  std::string block = encode_unixfs_file_block(testing::layer_manifest_json());
  std::string dag_pb_cid = dag_pb_cid_of(block);
  gateway.set("/ipfs/" + dag_pb_cid, {FakeReply::Kind::respond, 200, block, raw_block, {}});
  start({"--verify=off", "--gateway=" + gateway.url() + ",trustless"});
  auto result = get("/v2/layer/" + dag_pb_cid + "/manifests/latest");
  EXPECT_EQ(result.status, 200u) << result.body;
  ASSERT_FALSE(gateway.requests().empty());
  EXPECT_EQ(gateway.requests().back(), "GET /ipfs/" + dag_pb_cid + "?format=car&dag-scope=entity");
  EXPECT_EQ(gateway.accept_headers().back(), "application/vnd.ipld.car");
}

TEST_F(ServerTest, DagPbManifestFromATrustlessGateway) {
  std::string block = encode_unixfs_file_block(testing::layer_manifest_json());
  std::string dag_pb_cid = dag_pb_cid_of(block);
  gateway.set("/ipfs/" + dag_pb_cid, {FakeReply::Kind::respond, 200, block, raw_block, {}});
  EXPECT_EQ(get("/v2/layer/" + dag_pb_cid + "/manifests/latest").status, 200u);

  // A truncated block, and a block for another CID.
  stop();
  start({});  // forget the cached image
  gateway.set("/ipfs/" + dag_pb_cid,
              {FakeReply::Kind::respond, 200, block.substr(0, block.size() / 2), raw_block, {}});
  auto truncated = get("/v2/layer/" + dag_pb_cid + "/manifests/latest");
  EXPECT_EQ(truncated.status, 502u);
  EXPECT_THAT(error_message(truncated), HasSubstr("does not match the CID"));
  gateway.set("/ipfs/" + dag_pb_cid,
              {FakeReply::Kind::respond, 200, encode_unixfs_file_block("{}"), raw_block, {}});
  EXPECT_EQ(get("/v2/layer/" + dag_pb_cid + "/manifests/latest").status, 502u);
}

TEST_F(ServerTest, DagPbNodeWithLinksIsRefused) {
  auto child = parse_cid("QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o");
  std::string multihash = std::string("\x12\x20", 2) + child->digest;
  std::string link = "\x0a" + std::string(1, char(multihash.size())) + multihash;
  std::string node = "\x12" + std::string(1, char(link.size())) + link + "\x0a\x02\x08\x02";
  std::string node_cid = dag_pb_cid_of(node);
  gateway.set("/ipfs/" + node_cid, {FakeReply::Kind::respond, 200, node, raw_block, {}});
  auto result = get("/v2/layer/" + node_cid + "/manifests/latest");
  EXPECT_EQ(result.status, 404u);
  EXPECT_EQ(error_code(result), "MANIFEST_INVALID");
  EXPECT_THAT(error_message(result), HasSubstr("blocksizes"));
}

TEST_F(ServerTest, Base36AndBase32NameTheSameImage) {
  auto base32 = get(repo + "/manifests/latest", "GET", {{"Accept", accept_all}});
  auto parsed = parse_cid(cid);
  std::string base36 = "k" + base36_lower_encode(parsed->v1_bytes());
  auto by_base36 =
      get("/v2/layer/" + base36 + "/manifests/latest", "GET", {{"Accept", accept_all}});
  EXPECT_EQ(by_base36.status, 200u);
  EXPECT_EQ(by_base36.body, base32.body);
  EXPECT_EQ(by_base36.header("docker-content-digest"), base32.header("docker-content-digest"));
}

TEST_F(ServerTest, SecondGatewayWhenTheFirstIsDown) {
  stop();
  start({"--gateway=http://127.0.0.1:1", "--gateway=" + gateway.url()});
  for (int i = 0; i < 3; ++i) EXPECT_EQ(get(repo + "/manifests/latest").status, 200u);
}

TEST_F(ServerTest, SecondGatewayWhenTheFirstHangsThenNoDelay) {
  FakeGateway hanging;
  hanging.set_default({FakeReply::Kind::never_answer, 0, "", {}, {}});
  stop();
  // One at a time: hedging (hedge_test.cpp) would ask the second before the first timed out.
  start({"--gateway=" + hanging.url(), "--gateway=" + gateway.url(), "--gateway-timeout=1s",
         "--hedge-after=off"});
  auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(get(repo + "/manifests/latest").status, 200u);
  auto first = std::chrono::steady_clock::now() - started;
  EXPECT_GE(first, std::chrono::milliseconds(900));  // it did wait for the hanging gateway
  EXPECT_LT(first, std::chrono::seconds(10));
  // The hanging gateway now backs off: the next requests go straight to the good one.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(get(repo + "/manifests/latest").status, 200u);
  EXPECT_EQ(hanging.requests().size(), 1u);
}

TEST_F(ServerTest, RateLimitedGatewayIsLeftAlone) {
  FakeGateway limited;
  limited.set_default({FakeReply::Kind::respond, 429, "slow down", {{"Retry-After", "120"}}, {}});
  stop();
  start({"--gateway=" + limited.url(), "--gateway=" + gateway.url()});
  for (int i = 0; i < 3; ++i) EXPECT_EQ(get(repo + "/manifests/latest").status, 200u);
  EXPECT_EQ(limited.requests().size(), 1u);
}

TEST_F(ServerTest, EveryGatewayFailingSaysWhatEachDid) {
  FakeGateway broken;
  broken.set_default({FakeReply::Kind::respond, 500, "", {}, {}});
  stop();
  start({"--gateway=" + broken.url(), "--gateway=http://127.0.0.1:1"});
  auto result = get(repo + "/manifests/latest");
  EXPECT_EQ(result.status, 502u);
  EXPECT_THAT(error_message(result), HasSubstr(broken.url() + " answered 500"));
  EXPECT_THAT(error_message(result), HasSubstr("127.0.0.1:1"));
}

TEST_F(ServerTest, NotFoundEverywhereIsNotFound) {
  FakeGateway empty;
  stop();
  start({"--gateway=" + empty.url(), "--gateway=" + gateway.url()});
  auto result = get("/v2/layer/" + testing::raw_cid_of("nowhere") + "/manifests/latest");
  EXPECT_EQ(result.status, 404u);
  EXPECT_EQ(error_code(result), "MANIFEST_UNKNOWN");
}

// A gateway that would search the network for what it does not hold (never answering here) but
// honours only-if-cached: with --only-if-cached, a CID no gateway holds is a 404 at once, not a
// timeout; one that a gateway holds is served.
TEST_F(ServerTest, OnlyIfCachedAnswersWhatNoGatewayHoldsAtOnce) {
  FakeGateway searching;
  searching.set_default({FakeReply::Kind::never_answer, 0, "", {}, {}});
  searching.honour_only_if_cached();
  gateway.honour_only_if_cached();
  stop();
  start({"--gateway=" + searching.url(), "--gateway=" + gateway.url(), "--gateway-timeout=60s",
         "--hedge-after=off", "--only-if-cached"});
  auto missing = get("/v2/layer/" + testing::raw_cid_of("nowhere") + "/manifests/latest");
  EXPECT_EQ(missing.status, 404u);
  EXPECT_EQ(error_code(missing), "MANIFEST_UNKNOWN");
  EXPECT_THAT(error_message(missing), HasSubstr("holds no copy"));
  EXPECT_EQ(get(repo + "/manifests/latest").status, 200u);
}

// --- Caching and coalescing ---

TEST_F(ServerTest, ImagesAreCachedAfterTheFirstFetch) {
  for (int i = 0; i < 5; ++i) EXPECT_EQ(get(repo + "/manifests/latest").status, 200u);
  EXPECT_EQ(gateway.request_count("/ipfs/" + cid), 1u);
}

TEST_F(ServerTest, ConcurrentColdRequestsCauseOneFetch) {
  gateway.set("/ipfs/" + cid, {FakeReply::Kind::respond,
                               200,
                               testing::layer_manifest_json(),
                               {},
                               std::chrono::milliseconds(300)});
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  for (int i = 0; i < 40; ++i)
    clients.emplace_back([&] { ok += get(repo + "/manifests/latest").status == 200u; });
  for (auto& client : clients) client.join();
  EXPECT_EQ(ok.load(), 40);
  EXPECT_EQ(gateway.request_count("/ipfs/" + cid), 1u);
}

TEST_F(ServerTest, FailuresAreNotCached) {
  gateway.set("/ipfs/" + cid, {FakeReply::Kind::respond, 500, "", {}, {}});
  EXPECT_EQ(get(repo + "/manifests/latest").status, 502u);
  gateway.set("/ipfs/" + cid, {FakeReply::Kind::respond, 404, "", {}, {}});
  EXPECT_EQ(get(repo + "/manifests/latest").status, 404u);
  gateway.serve_cid(cid, testing::layer_manifest_json());
  EXPECT_EQ(get(repo + "/manifests/latest").status, 200u);
  EXPECT_EQ(gateway.request_count("/ipfs/" + cid), 3u);
}

// The HEAD that failed and the GET docker sends right after it: one gateway fetch.
TEST_F(ServerTest, ARecentFailureIsShared) {
  start({"--failure-ttl=1m"});
  gateway.set("/ipfs/" + cid, {FakeReply::Kind::respond, 404, "", {}, {}});
  EXPECT_EQ(get(repo + "/manifests/latest", "HEAD").status, 404u);
  auto again = get(repo + "/manifests/latest");
  EXPECT_EQ(again.status, 404u);
  EXPECT_EQ(error_code(again), "MANIFEST_UNKNOWN");
  EXPECT_EQ(gateway.request_count("/ipfs/" + cid), 1u);
}

TEST_F(ServerTest, ProvenInvalidManifestsAreCached) {
  std::string invalid = publish(R"({"mediaType":"application/vnd.ocipfs.layer.manifest.v1+json"})");
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(get("/v2/layer/" + invalid + "/manifests/latest").status, 404u);
  EXPECT_EQ(gateway.request_count("/ipfs/" + invalid), 1u);
}

TEST_F(ServerTest, ConditionalRequestsOverHttp) {
  auto first = get(repo + "/manifests/latest", "GET", {{"Accept", accept_all}});
  ASSERT_EQ(first.status, 200u);
  EXPECT_EQ(first.header("etag"), "\"" + first.header("docker-content-digest") + "\"");
  EXPECT_EQ(first.header("cache-control"), "public, max-age=31536000, immutable");
  auto again = get(repo + "/manifests/latest", "GET",
                   {{"Accept", accept_all}, {"If-None-Match", first.header("etag")}});
  EXPECT_EQ(again.status, 304u);
  EXPECT_TRUE(again.body.empty());
  EXPECT_FALSE(again.has_header("content-length"));
  auto layer = get(repo + "/blobs/" + testing::layer_digest);
  EXPECT_EQ(layer.status, 302u);
  EXPECT_EQ(layer.header("cache-control"), "public, max-age=31536000, immutable");
  auto missing = get(repo + "/manifests/nope");
  EXPECT_EQ(missing.header("cache-control"), "no-store");
}

// --- Operations: health, readiness, metrics ---

TEST_F(ServerTest, HealthAndReadiness) {
  auto health = get("/healthz");
  EXPECT_EQ(health.status, 200u);
  EXPECT_EQ(health.body, "ok\n");
  EXPECT_EQ(get("/readyz").status, 200u);
  EXPECT_EQ(get("/healthz", "POST").status, 405u);
}

TEST_F(ServerTest, ReadinessWaitsForAGatewayWithReadyCheck) {
  gateway.set("/ipfs/bafkqaaa", {FakeReply::Kind::respond, 200, "", {}, {}});
  stop();
  start({"--ready-check"});
  // Not ready at first; the answer starts a probe of the gateways.
  EXPECT_EQ(get("/readyz").status, 503u);
  bool ready = false;
  for (int i = 0; i < 100 && !ready; ++i) {
    ready = get("/readyz").status == 200u;
    if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(ready);
  EXPECT_GE(gateway.request_count("/ipfs/bafkqaaa"), 1u);
}

TEST_F(ServerTest, ReadinessStaysOffWhileTheGatewayIsDown) {
  stop();
  start({"--ready-check", "--gateway=http://127.0.0.1:1"});
  for (int i = 0; i < 5; ++i) EXPECT_EQ(get("/readyz").status, 503u);
}

// The trustless gateway spec lets ?format= win over Accept, and CDNs key on the URL: both say it.
TEST_F(ServerTest, VerifiedFetchesAskForTheirFormatInTheUrlToo) {
  EXPECT_EQ(get(repo + "/manifests/latest").status, 200u);
  ASSERT_FALSE(gateway.requests().empty());
  EXPECT_EQ(gateway.requests().back(), "GET /ipfs/" + testing::manifest_cid + "?format=raw");
}

// A storm of failing CIDs logs a warning a second (with a count of the rest), not one each.
TEST_F(ServerTest, RepeatedGatewayWarningsAreThrottledAndCounted) {
  for (int i = 0; i < 20; ++i) {
    auto missing = testing::raw_cid_of("missing " + std::to_string(i));
    EXPECT_EQ(get("/v2/layer/" + missing + "/manifests/latest").status, 404u);
  }
  auto metrics = get("/metrics").body;
  EXPECT_THAT(metrics, HasSubstr("ocipfs_log_warnings_suppressed_total "));
  EXPECT_THAT(metrics, Not(HasSubstr("ocipfs_log_warnings_suppressed_total 0\n")));
}

// A connection kept open after a cold answer holds neither its image nor the document memory
// that the image's fetch leased: the answer is let go once it is written.
TEST_F(ServerTest, AnIdleConnectionHoldsNoDocumentMemory) {
  testing::KeptAliveClient client(server->port());
  EXPECT_EQ(client.request(repo + "/manifests/latest").status, 200u);
  bool released = false;
  for (int i = 0; i < 100 && !released; ++i) {
    released = get("/metrics").body.find("ocipfs_document_memory_bytes 0\n") != std::string::npos;
    if (!released) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(released);
}

TEST_F(ServerTest, MetricsCountWhatHappened) {
  EXPECT_EQ(get(repo + "/manifests/latest").status, 200u);
  EXPECT_EQ(get(repo + "/manifests/latest").status, 200u);
  EXPECT_EQ(get(repo + "/manifests/nope").status, 404u);
  EXPECT_EQ(get(repo + "/blobs/" + testing::layer_digest).status, 302u);
  auto metrics = get("/metrics");
  EXPECT_EQ(metrics.status, 200u);
  EXPECT_THAT(metrics.header("content-type"), HasSubstr("text/plain; version=0.0.4"));
  const std::string& text = metrics.body;
  EXPECT_THAT(text, HasSubstr("ocipfs_requests_total{route=\"manifest\",status=\"200\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("ocipfs_requests_total{route=\"manifest\",status=\"404\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("ocipfs_requests_total{route=\"blob\",status=\"302\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("ocipfs_gateway_fetches_total{gateway=\"" + gateway.url() +
                              "/\",outcome=\"ok\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("ocipfs_request_duration_seconds_count{route=\"manifest\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("ocipfs_gateway_fetch_duration_seconds_count{gateway=\""));
  EXPECT_THAT(text, HasSubstr("ocipfs_cache_hits_total{tier=\"images\"}"));
  EXPECT_THAT(text, HasSubstr("ocipfs_cache_entries{tier=\"images\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("ocipfs_requests_in_flight 1\n"));  // this very request
  EXPECT_THAT(text, HasSubstr("ocipfs_open_connections "));
  EXPECT_THAT(text, HasSubstr("ocipfs_build_info{version=\""));
}

}  // namespace
}  // namespace ocipfs
