#include "ocipfs/http/request_head.hpp"

#include <gtest/gtest.h>

#include <string>

namespace ocipfs {
namespace {

HeadScan scan(const std::string& bytes, RequestHead& head, std::size_t limit = 16 * 1024) {
  return scan_request_head(bytes, limit, head);
}

TEST(RequestHead, TellsATlsHandshakeFromHttp) {
  // The first bytes of a ClientHello: a handshake record (0x16) of TLS 1.0 to 1.3 (0x03 0x01..).
  EXPECT_TRUE(starts_like_tls_handshake(std::string("\x16\x03\x01\x02\x00\x01", 6)));
  EXPECT_TRUE(starts_like_tls_handshake(std::string("\x16\x03\x03", 3)));
  EXPECT_TRUE(starts_like_tls_handshake("\x16"));  // all that arrived yet
  EXPECT_FALSE(starts_like_tls_handshake("GET / HTTP/1.1\r\n"));
  EXPECT_FALSE(starts_like_tls_handshake(std::string("\x16\x04", 2)));
  EXPECT_FALSE(starts_like_tls_handshake(""));
}

TEST(RequestHead, ReadsTheFieldsItAnswersFrom) {
  std::string bytes =
      "GET /v2/layer/x/manifests/latest?a=b HTTP/1.1\r\nHost: h\r\naccept: a/b, c/d\r\n"
      "If-None-Match: \"sha256:1\"\r\nUser-Agent: docker/27\r\ntraceparent: t\r\n"
      "X-Cloud-Trace-Context: c/1\r\n\r\nGET /next";
  RequestHead head;
  ASSERT_EQ(scan(bytes, head), HeadScan::complete);
  EXPECT_EQ(head.method, "GET");
  EXPECT_EQ(head.target, "/v2/layer/x/manifests/latest?a=b");
  EXPECT_EQ(head.version, 11u);
  EXPECT_EQ(head.accept, "a/b, c/d");
  EXPECT_EQ(head.if_none_match, "\"sha256:1\"");
  EXPECT_EQ(head.user_agent, "docker/27");
  EXPECT_EQ(head.host, "h");
  EXPECT_EQ(head.traceparent, "t");
  EXPECT_EQ(head.cloud_trace_context, "c/1");
  EXPECT_TRUE(head.keep_alive);
  EXPECT_EQ(head.size, bytes.find("GET /next"));
}

TEST(RequestHead, KeepAliveFollowsTheVersionAndConnection) {
  RequestHead head;
  ASSERT_EQ(scan("HEAD / HTTP/1.0\r\n\r\n", head), HeadScan::complete);
  EXPECT_FALSE(head.keep_alive);
  EXPECT_EQ(head.version, 10u);
  ASSERT_EQ(scan("HEAD / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", head), HeadScan::complete);
  EXPECT_TRUE(head.keep_alive);
  ASSERT_EQ(scan("GET / HTTP/1.1\r\nHost: h\r\nConnection: foo, close\r\n\r\n", head),
            HeadScan::complete);
  EXPECT_FALSE(head.keep_alive);
  ASSERT_EQ(scan("GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\n\r\n", head),
            HeadScan::complete);
  EXPECT_TRUE(head.keep_alive);
}

// RFC 9110 7.6.1: every Connection line counts, and "close" wins wherever it is.
TEST(RequestHead, EveryConnectionLineCounts) {
  struct Case {
    const char* bytes;
    bool keep_alive;
  } cases[] = {
      {"GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n", false},
      {"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\nConnection: keep-alive\r\n\r\n", false},
      {"GET / HTTP/1.1\r\nHost: h\r\nConnection: te\r\nConnection: foo\r\n\r\n", true},
      {"GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n", false},
      {"GET / HTTP/1.0\r\nConnection: close, keep-alive\r\n\r\n", false},
      {"GET / HTTP/1.0\r\nConnection: foo\r\nConnection: Keep-Alive\r\n\r\n", true},
  };
  for (const auto& [bytes, keep_alive] : cases) {
    RequestHead head;
    ASSERT_EQ(scan(bytes, head), HeadScan::complete) << bytes;
    EXPECT_EQ(head.keep_alive, keep_alive) << bytes;
  }
}

TEST(RequestHead, PersistenceFollowsTheVersionAndEveryOption) {
  EXPECT_TRUE(connection_persists(11, {}));
  EXPECT_FALSE(connection_persists(10, {}));
  EXPECT_TRUE(connection_persists(10, {.close = false, .keep_alive = true}));
  EXPECT_FALSE(connection_persists(10, {.close = true, .keep_alive = true}));
  EXPECT_FALSE(connection_persists(11, {.close = true, .keep_alive = true}));
  ConnectionOptions options;
  EXPECT_TRUE(add_connection_options("keep-alive, , Upgrade", options));
  EXPECT_TRUE(add_connection_options("CLOSE", options));
  EXPECT_TRUE(options.close && options.keep_alive);
  EXPECT_FALSE(add_connection_options("a b", options));
  EXPECT_FALSE(add_connection_options("a/b", options));
}

// RFC 9112 3.2: one Host for HTTP/1.1, at most one for HTTP/1.0, with a host's characters; any
// other goes to the full parser, which refuses it.
TEST(RequestHead, HostIsRequiredOnce) {
  const char* complete[] = {
      "GET / HTTP/1.1\r\nHost: registry.example:5000\r\n\r\n",
      "GET / HTTP/1.1\r\nhost: [::1]:8080\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
      "GET / HTTP/1.1\r\nHost:\r\n\r\n",  // no authority: empty (RFC 9112 3.2)
      "GET / HTTP/1.0\r\n\r\n",
      "GET / HTTP/1.0\r\nHost: h\r\n\r\n",
  };
  for (const char* bytes : complete) {
    RequestHead head;
    EXPECT_EQ(scan(bytes, head), HeadScan::complete) << bytes;
  }
  const char* declined[] = {
      "GET / HTTP/1.1\r\n\r\n",
      "GET / HTTP/1.1\r\nAccept: a\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\nHOST: b\r\n\r\n",
      "GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: user@a\r\n\r\n",
  };
  for (const char* bytes : declined) {
    RequestHead head;
    EXPECT_EQ(scan(bytes, head), HeadScan::declined) << bytes;
  }
  EXPECT_TRUE(host_is_valid(11, 1, "a.b-c_d~:80"));
  EXPECT_FALSE(host_is_valid(11, 0, ""));
  EXPECT_TRUE(host_is_valid(10, 0, ""));
  EXPECT_FALSE(host_is_valid(10, 2, "a"));
  EXPECT_FALSE(host_is_valid(11, 1, "a\x80"));
}

TEST(RequestHead, MoreThanTheFieldLimitIsDeclined) {
  std::string fields = "Host: h\r\n";
  for (std::size_t i = 1; i < max_request_fields; ++i)
    fields += "X-" + std::to_string(i) + ": v\r\n";
  RequestHead head;
  EXPECT_EQ(scan("GET / HTTP/1.1\r\n" + fields + "\r\n", head), HeadScan::complete);
  EXPECT_EQ(scan("GET / HTTP/1.1\r\n" + fields + "X-Last: v\r\n\r\n", head), HeadScan::declined);
}

// RFC 9112 6.3: a request body's end is known only when chunked is its last coding, applied once.
TEST(RequestHead, ChunkedMustBeTheFinalCodingOnce) {
  for (const char* codings :
       {"chunked", "Chunked", "gzip, chunked", "gzip,chunked", " , chunked ,"})
    EXPECT_TRUE(chunked_is_final(codings)) << codings;
  for (const char* codings :
       {"", "gzip", "xchunked", "chunkedx", "chunked, gzip", "chunked, chunked", "chunked;a=b"})
    EXPECT_FALSE(chunked_is_final(codings)) << codings;
}

TEST(RequestHead, AnIncompleteHeadAsksForMore) {
  RequestHead head;
  EXPECT_EQ(scan("", head), HeadScan::partial);
  EXPECT_EQ(scan("GET / HTTP/1.1\r\nAccept: a", head), HeadScan::partial);
  EXPECT_EQ(scan("GET / HTTP/1.1\r\n\r", head), HeadScan::partial);
}

TEST(RequestHead, DeclinesWhatTheFullParserMustJudge) {
  const char* declined[] = {
      "POST / HTTP/1.1\r\nHost: h\r\n\r\n",
      "get / HTTP/1.1\r\nHost: h\r\n\r\n",
      "GET / HTTP/2.0\r\nHost: h\r\n\r\n",
      "GET  / HTTP/1.1\r\nHost: h\r\n\r\n",
      "GET / HTTP/1.1 \r\nHost: h\r\n\r\n",
      "GET http://h/ HTTP/1.1\r\nHost: h\r\n\r\n",
      "GET /a\x7f HTTP/1.1\r\nHost: h\r\n\r\n",
      "GET / HTTP/1.1\nHost: h\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\n\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n",
      "GET / HTTP/1.1\r\nHost : h\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\n: h\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\nX: a\x01z\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\nAccept: a\r\nAccept: b\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\nIf-None-Match: a\r\nif-none-match: b\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\nConnection: a b\r\n\r\n",
  };
  for (const char* bytes : declined) {
    RequestHead head;
    EXPECT_EQ(scan(bytes, head), HeadScan::declined) << bytes;
  }
}

// Every byte value at every place of a long target and a long field value (the scan checks them
// eight at a time): the target takes visible ASCII only; a value takes visible ASCII, obs-text,
// spaces and tabs.
TEST(RequestHead, EveryByteOfTheTargetAndTheValuesIsChecked) {
  for (int byte = 0; byte < 256; ++byte) {
    const char c = static_cast<char>(byte);
    const bool in_target = byte > 0x20 && byte < 0x7f;
    const bool in_value = (byte >= 0x20 || byte == '\t') && byte != 0x7f;
    for (std::size_t at = 1; at < 20; ++at) {
      std::string target = "/" + std::string(19, 'a');
      target[at] = c;
      std::string value = "v" + std::string(19, 'b') + "w";
      value[at] = c;
      RequestHead head;
      auto with_target = scan("GET " + target + " HTTP/1.1\r\nHost: h\r\n\r\n", head);
      EXPECT_EQ(with_target, in_target ? HeadScan::complete : HeadScan::declined)
          << "byte " << byte << " at " << at << " of the target";
      auto with_value = scan("GET / HTTP/1.1\r\nHost: h\r\nX: " + value + "\r\n\r\n", head);
      EXPECT_EQ(with_value, in_value ? HeadScan::complete : HeadScan::declined)
          << "byte " << byte << " at " << at << " of a value";
    }
  }
}

TEST(RequestHead, AHeadOverTheLimitIsDeclined) {
  std::string bytes = "GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(100, 'a') + "\r\n\r\n";
  RequestHead head;
  EXPECT_EQ(scan(bytes, head, bytes.size()), HeadScan::complete);
  EXPECT_EQ(scan(bytes, head, bytes.size() - 1), HeadScan::declined);
  EXPECT_EQ(scan(bytes.substr(0, 50), head, 50), HeadScan::declined);
  EXPECT_EQ(scan(bytes.substr(0, 50), head, 51), HeadScan::partial);
}

TEST(RequestHead, EmptyLinesBeforeTheRequestLineAreSkipped) {
  EXPECT_EQ(empty_lines_before_request("GET / HTTP/1.1\r\n\r\n"), 0u);
  EXPECT_EQ(empty_lines_before_request("\r\n\nGET / HTTP/1.1\r\n\r\n"), 3u);
  EXPECT_EQ(empty_lines_before_request("\r\n\r"), 2u);  // the CR may start another
  EXPECT_EQ(empty_lines_before_request("\r\r\n"), 0u);  // a bare CR is for the parser to refuse
  EXPECT_EQ(empty_lines_before_request(""), 0u);
}

}  // namespace
}  // namespace ocipfs
