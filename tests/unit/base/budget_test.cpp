// The shared budget behind --max-gateway-fetches and --document-memory: leases within the limit,
// waiters served in the order they asked (or first, when they gave back to ask for more), and an
// empty lease at the deadline.
#include "ocipfs/base/budget.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <optional>
#include <string>
#include <vector>

namespace ocipfs {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

struct BudgetTest : ::testing::Test {
  std::atomic<std::int64_t> in_use{0}, waiting{0};
  std::atomic<std::uint64_t> refused{0};
  Budget budget{10, {&in_use, &waiting, &refused}};
  asio::io_context io;
  std::vector<std::string> order;  // who was served, in order
  std::vector<Budget::Lease> held;

  // Asks for `units` as `name`, waiting at most `wait`; a lease had is kept in `held`.
  void ask(std::string name, std::size_t units, std::chrono::milliseconds wait = 10s,
           bool first = false) {
    asio::co_spawn(
        io,
        [this, name, units, wait, first]() -> asio::awaitable<void> {
          auto deadline = Budget::Clock::now() + wait;
          // (No conditional around co_await: GCC 12 destroys such temporaries twice.)
          Budget::Lease lease;
          if (first) {
            lease = co_await budget.acquire_first(units, deadline);
          } else {
            lease = co_await budget.acquire(units, deadline);
          }
          order.push_back(lease ? name : "-" + name);
          if (lease) held.push_back(std::move(lease));
        },
        asio::detached);
  }
  // Runs what is ready, without waiting for any deadline.
  void settle() {
    io.restart();
    while (io.poll() > 0) {
    }
  }
  // Runs until `served` callers have had their answer, 2 s at most.
  void settle_until(std::size_t served) {
    io.restart();
    while (order.size() < served && io.run_one_for(2s) > 0) {
    }
  }
};

TEST_F(BudgetTest, LeasesWithinTheLimitAtOnceAndGivesBackWhenDestroyed) {
  auto a = budget.try_acquire(6);
  auto b = budget.try_acquire(4);
  EXPECT_TRUE(a && b);
  EXPECT_FALSE(budget.try_acquire(1));
  EXPECT_EQ(in_use, 10);
  a = {};
  EXPECT_EQ(in_use, 4);
  EXPECT_EQ(budget.try_acquire(50).units(), 0u) << "past the limit: taken as the limit, 10";
  b = {};
  EXPECT_EQ(budget.try_acquire(50).units(), 10u);
  EXPECT_EQ(in_use, 0);
}

TEST_F(BudgetTest, WaitersAreServedInTheOrderTheyAskedEvenWhenALaterOneWouldFit) {
  held.push_back(budget.try_acquire(8));
  ask("big", 6);
  ask("small", 1);  // would fit now, but "big" asked first
  settle();
  EXPECT_TRUE(order.empty());
  EXPECT_EQ(waiting, 2);
  EXPECT_FALSE(budget.try_acquire(1)) << "no one jumps the line";
  held.front().shrink_to(4);  // 4 + 6: "big" fits, and then "small" does not
  settle();
  EXPECT_EQ(order, (std::vector<std::string>{"big"}));
  EXPECT_EQ(in_use, 10);
  held.front().shrink_to(3);
  settle();
  EXPECT_EQ(order, (std::vector<std::string>{"big", "small"}));
  EXPECT_EQ(in_use, 10);
  EXPECT_EQ(waiting, 0);
}

TEST_F(BudgetTest, OneThatGaveBackToAskForMoreGoesFirst) {
  held.push_back(budget.try_acquire(10));
  ask("new", 2);
  ask("grown", 5, 10s, /*first=*/true);
  settle();
  held.clear();
  settle();
  EXPECT_EQ(order, (std::vector<std::string>{"grown", "new"}));
}

TEST_F(BudgetTest, AWaiterPastItsDeadlineGetsNothingAndLetsThoseBehindIn) {
  held.push_back(budget.try_acquire(5));
  ask("big", 8, 50ms);
  ask("small", 3);
  settle_until(2);
  EXPECT_EQ(order, (std::vector<std::string>{"-big", "small"}));
  EXPECT_EQ(refused, 1u);
  EXPECT_EQ(waiting, 0);
  EXPECT_EQ(in_use, 8);
}

TEST_F(BudgetTest, AbsorbTakesOverAnotherLeasesUnits) {
  auto a = budget.try_acquire(3);
  a.absorb(budget.try_acquire(4));
  EXPECT_EQ(a.units(), 7u);
  a.shrink_to(2);
  EXPECT_EQ(in_use, 2);
  a = {};
  EXPECT_EQ(in_use, 0);
}

}  // namespace
}  // namespace ocipfs
