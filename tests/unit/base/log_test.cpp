#include "ocipfs/base/log.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace ocipfs {
namespace {

using nlohmann::json;

TEST(Log, TraceFromCloudTraceContext) {
  auto ids = parse_trace("105445aa7843bc8bf206b12000100000/1;o=1", "");
  EXPECT_EQ(ids.trace, "105445aa7843bc8bf206b12000100000");
  EXPECT_EQ(ids.span, "1");
}

TEST(Log, TraceFromTraceparent) {
  auto ids = parse_trace("", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  EXPECT_EQ(ids.trace, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(ids.span, "00f067aa0ba902b7");
}

TEST(Log, MalformedTracesAreIgnored) {
  EXPECT_TRUE(parse_trace("nothex/1", "").trace.empty());
  EXPECT_TRUE(parse_trace("", "00-xyz").trace.empty());
  EXPECT_TRUE(parse_trace("", "").trace.empty());
}

TEST(Log, AccessLineInText) {
  AccessRecord record{"GET", "/v2/", 200, 2, std::chrono::microseconds(1500), {}, {}, {}, {}, {}};
  EXPECT_EQ(access_text(record), "GET /v2/ 200 2 1.500ms");
  // Bytes that were not a request say what they were, not "- -".
  AccessRecord probe{"-", "-",         400, 70, std::chrono::microseconds(10),
                     {},  "127.0.0.1", {},  {}, tls_on_plain_port};
  EXPECT_EQ(access_text(probe),
            "TLS handshake on the plain-HTTP port (use http:// or put TLS in front): 400 70 "
            "0.010ms");
  EXPECT_EQ(json::parse(access_json(probe, ""))["message"],
            "TLS handshake on the plain-HTTP port (use http:// or put TLS in front): 400");
}

TEST(Log, AccessLineInCloudLoggingFormat) {
  AccessRecord record{"GET",
                      "/v2/x\n\"y",
                      404,
                      123,
                      std::chrono::milliseconds(5),
                      "docker/20.10",
                      "127.0.0.1",
                      "",
                      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                      {}};
  json line = json::parse(access_json(record, "my-project"));
  EXPECT_EQ(line["severity"], "INFO");
  const auto& request = line["httpRequest"];
  EXPECT_EQ(request["requestMethod"], "GET");
  EXPECT_EQ(request["requestUrl"], "/v2/x?\"y");  // control characters replaced
  EXPECT_EQ(request["status"], 404);
  EXPECT_EQ(request["responseSize"], "123");
  EXPECT_EQ(request["latency"], "0.005000s");
  EXPECT_EQ(request["userAgent"], "docker/20.10");
  EXPECT_EQ(request["remoteIp"], "127.0.0.1");
  EXPECT_EQ(line["logging.googleapis.com/trace"],
            "projects/my-project/traces/4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(line["logging.googleapis.com/spanId"], "00f067aa0ba902b7");
  record.status = 502;
  EXPECT_EQ(json::parse(access_json(record, ""))["severity"], "ERROR");
}

TEST(LogThrottle, OneLineAnIntervalAndACountOfTheRest) {
  LogThrottle throttle(std::chrono::hours(1));
  std::uint64_t suppressed = 99;
  EXPECT_TRUE(throttle.ready(suppressed));
  EXPECT_EQ(suppressed, 0u);
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(throttle.ready(suppressed));
  LogThrottle every_time(std::chrono::seconds(0));
  EXPECT_TRUE(every_time.ready(suppressed));
  EXPECT_TRUE(every_time.ready(suppressed));
  EXPECT_EQ(suppressed, 0u);
}

}  // namespace
}  // namespace ocipfs
