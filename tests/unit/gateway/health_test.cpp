#include "ocipfs/gateway/health.hpp"

#include <gtest/gtest.h>

namespace ocipfs {
namespace {

using namespace std::chrono_literals;
using Order = std::vector<std::size_t>;

TEST(GatewayHealth, ConfiguredOrderWhileHealthy) {
  GatewayHealth health(3);
  EXPECT_EQ(health.order(GatewayHealth::Clock::now()), (Order{0, 1, 2}));
}

TEST(GatewayHealth, FailingGatewaysGoLastThenComeBack) {
  GatewayHealth health(3);
  auto now = GatewayHealth::Clock::now();
  EXPECT_EQ(health.failed(0, now), 1u);
  EXPECT_EQ(health.order(now), (Order{1, 2, 0}));
  EXPECT_EQ(health.order(now + 1s), (Order{0, 1, 2}));  // a 1 s backoff has passed
  EXPECT_EQ(health.failed(0, now), 2u);                 // doubling: 2 s
  EXPECT_EQ(health.order(now + 1500ms), (Order{1, 2, 0}));
  health.succeeded(0);
  EXPECT_EQ(health.order(now), (Order{0, 1, 2}));
}

TEST(GatewayHealth, BackoffIsCappedAndRetryAfterHonoured) {
  GatewayHealth health(2);
  auto now = GatewayHealth::Clock::now();
  for (int i = 0; i < 20; ++i) health.failed(0, now);
  EXPECT_EQ(health.order(now + 59s), (Order{1, 0}));
  EXPECT_EQ(health.order(now + 60s), (Order{0, 1}));
  health.failed(1, now, 300s);  // 429 with Retry-After: 300
  EXPECT_EQ(health.order(now + 299s), (Order{0, 1}));
  health.succeeded(0);
  EXPECT_EQ(health.order(now + 200s), (Order{0, 1}));
}

TEST(GatewayHealth, SoonestAvailableFirstAmongTheBackingOff) {
  GatewayHealth health(2);
  auto now = GatewayHealth::Clock::now();
  health.failed(0, now, 100s);
  health.failed(1, now, 10s);
  EXPECT_EQ(health.order(now), (Order{1, 0}));
  EXPECT_FALSE(health.answered_since(now));
  health.succeeded(1);
  EXPECT_TRUE(health.answered_since(now));
}

}  // namespace
}  // namespace ocipfs
