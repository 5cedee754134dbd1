// /metrics as Prometheus reads it: exact counts past a million, and promtool's own check.
#include "ocipfs/server/metrics.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>

#include "support/process.hpp"

namespace ocipfs {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string render_busy_metrics() {
  Metrics metrics({"http://127.0.0.1:1/", "https://gateway.example/"});
  metrics.request_done(RouteKind::manifest, 200, std::chrono::microseconds(1234));
  metrics.request_done(RouteKind::blob, 302, std::chrono::nanoseconds(1));
  metrics.fetches.fetch_succeeded(0, std::chrono::milliseconds(1500));
  metrics.fetches.fetch_failed(1, FetchFault::timeout, std::chrono::seconds(10));
  metrics.refused_connections = 1'305'291;
  metrics.fetches.hedges_started = 9'007'199'254'740'993;  // 2^53 + 1: no double holds it
  metrics.connections = 10'000'000;
  CacheStats images{123'456'789, 1'000'001, 20'000, 18'446'744'073'709'551'615u};
  return metrics.render(images);
}

TEST(Metrics, CountsAreExactIntegers) {
  const std::string text = render_busy_metrics();
  EXPECT_THAT(text, HasSubstr("ocipfs_connections_refused_total 1305291\n"));
  EXPECT_THAT(text, HasSubstr("ocipfs_gateway_hedges_total 9007199254740993\n"));
  EXPECT_THAT(text, HasSubstr("ocipfs_open_connections 10000000\n"));
  EXPECT_THAT(text, HasSubstr("ocipfs_cache_hits_total{tier=\"images\"} 123456789\n"));
  EXPECT_THAT(text, HasSubstr("ocipfs_cache_misses_total{tier=\"images\"} 1000001\n"));
  EXPECT_THAT(text, HasSubstr("ocipfs_cache_entries{tier=\"images\"} 20000\n"));
  EXPECT_THAT(text, HasSubstr("ocipfs_cache_bytes{tier=\"images\"} 18446744073709551615\n"));
  EXPECT_THAT(text, Not(HasSubstr("tier=\"manifests\"")));
  EXPECT_THAT(text, Not(HasSubstr("e+")));
}

TEST(Metrics, SecondsKeepTheirPrecision) {
  const std::string text = render_busy_metrics();
  EXPECT_THAT(text,
              HasSubstr("ocipfs_request_duration_seconds_sum{route=\"manifest\"} 0.001234\n"));
  EXPECT_THAT(text, HasSubstr("ocipfs_request_duration_seconds_sum{route=\"blob\"} 1e-09\n"));
  EXPECT_THAT(text, HasSubstr("ocipfs_request_duration_seconds_bucket{route=\"manifest\","
                              "le=\"0.0025\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("ocipfs_gateway_fetch_duration_seconds_sum{gateway=\"https://"
                              "gateway.example/\"} 10\n"));
}

TEST(Metrics, PromtoolAcceptsTheExposition) {
  ASSERT_EQ(std::system("command -v promtool >/dev/null 2>&1"), 0)
      << "promtool is missing (Debian's prometheus): bash tests/install-deps.sh test";
  const std::string path = ::testing::TempDir() + "metrics-" + std::to_string(getpid()) + ".txt";
  std::ofstream(path) << render_busy_metrics();
  auto check = testing::run_command("promtool check metrics < " + path + " 2>&1");
  std::remove(path.c_str());
  EXPECT_EQ(check.exit_code, 0) << check.output;
}

}  // namespace
}  // namespace ocipfs
