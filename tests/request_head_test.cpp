#include "ocipfs/request_head.hpp"

#include <gtest/gtest.h>

#include <string>

namespace ocipfs {
namespace {

HeadScan scan(const std::string& bytes, RequestHead& head, std::size_t limit = 16 * 1024) {
  return scan_request_head(bytes, limit, head);
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
  ASSERT_EQ(scan("GET / HTTP/1.1\r\nConnection: foo, close\r\n\r\n", head), HeadScan::complete);
  EXPECT_FALSE(head.keep_alive);
  ASSERT_EQ(scan("GET / HTTP/1.1\r\nConnection: keep-alive\r\n\r\n", head), HeadScan::complete);
  EXPECT_TRUE(head.keep_alive);
}

TEST(RequestHead, AnIncompleteHeadAsksForMore) {
  RequestHead head;
  EXPECT_EQ(scan("", head), HeadScan::partial);
  EXPECT_EQ(scan("GET / HTTP/1.1\r\nAccept: a", head), HeadScan::partial);
  EXPECT_EQ(scan("GET / HTTP/1.1\r\n\r", head), HeadScan::partial);
}

TEST(RequestHead, DeclinesWhatTheFullParserMustJudge) {
  const char* declined[] = {
      "POST / HTTP/1.1\r\n\r\n",
      "get / HTTP/1.1\r\n\r\n",
      "GET / HTTP/2.0\r\n\r\n",
      "GET  / HTTP/1.1\r\n\r\n",
      "GET / HTTP/1.1 \r\n\r\n",
      "GET http://h/ HTTP/1.1\r\n\r\n",
      "GET /a\x7f HTTP/1.1\r\n\r\n",
      "GET / HTTP/1.1\nHost: h\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\n\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n",
      "GET / HTTP/1.1\r\nHost : h\r\n\r\n",
      "GET / HTTP/1.1\r\n: h\r\n\r\n",
      "GET / HTTP/1.1\r\nNoColon\r\n\r\n",
      "GET / HTTP/1.1\r\nX: a\x01z\r\n\r\n",
      "GET / HTTP/1.1\r\nAccept: a\r\nAccept: b\r\n\r\n",
      "GET / HTTP/1.1\r\nIf-None-Match: a\r\nif-none-match: b\r\n\r\n",
      "GET / HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
      "GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
      "GET / HTTP/1.1\r\nConnection: a b\r\n\r\n",
      "GET / HTTP/1.1\r\nConnection: close\r\nConnection: close\r\n\r\n",
  };
  for (const char* bytes : declined) {
    RequestHead head;
    EXPECT_EQ(scan(bytes, head), HeadScan::declined) << bytes;
  }
}

TEST(RequestHead, AHeadOverTheLimitIsDeclined) {
  std::string bytes = "GET / HTTP/1.1\r\nX: " + std::string(100, 'a') + "\r\n\r\n";
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
