// A shared budget of units that callers lease and give back: gateway sockets in use, bytes of
// documents in flight. Callers that wait are served in the order they asked, each until its own
// deadline. Thread-safe.
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace ocipfs {

class Budget {
 public:
  using Clock = std::chrono::steady_clock;

  // Where the budget reports itself, each optional: units leased, callers waiting, and callers
  // refused at their deadline.
  struct Gauges {
    std::atomic<std::int64_t>* in_use = nullptr;
    std::atomic<std::int64_t>* waiting = nullptr;
    std::atomic<std::uint64_t>* refused = nullptr;
  };

  // Units held, given back when destroyed; empty when none were had.
  class Lease {
   public:
    Lease() = default;
    Lease(Lease&& other) noexcept
        : owner_(std::exchange(other.owner_, nullptr)), units_(std::exchange(other.units_, 0)) {}
    Lease& operator=(Lease&& other) noexcept;
    ~Lease();
    explicit operator bool() const { return owner_ != nullptr; }
    std::size_t units() const { return units_; }
    // Gives back all but `units` (no-op unless fewer than held).
    void shrink_to(std::size_t units);
    // Takes over `other`'s units, of the same budget.
    void absorb(Lease&& other);

   private:
    friend class Budget;
    Lease(Budget* owner, std::size_t units) : owner_(owner), units_(units) {}
    Budget* owner_ = nullptr;
    std::size_t units_ = 0;
  };

  // `limit` units at most (at least 1). The gauges' counters must outlive this.
  Budget(std::size_t limit, Gauges gauges);
  explicit Budget(std::size_t limit) : Budget(limit, Gauges()) {}
  ~Budget();
  Budget(const Budget&) = delete;
  Budget& operator=(const Budget&) = delete;

  // `units` (at most the limit: more are taken as the limit) at once when they are free and no
  // one waits; else when the callers before this one are served and enough is given back, or an
  // empty Lease once `deadline` passes.
  boost::asio::awaitable<Lease> acquire(std::size_t units, Clock::time_point deadline);
  // As acquire, but ahead of everyone waiting: for a caller that gave back what it held to ask
  // for more, so that what it started ends before anything new begins.
  boost::asio::awaitable<Lease> acquire_first(std::size_t units, Clock::time_point deadline);
  // `units` when they are free now and no one waits; never waits.
  Lease try_acquire(std::size_t units);
  std::size_t limit() const { return limit_; }

 private:
  struct Waiter;
  enum class Place { last, first };
  boost::asio::awaitable<Lease> wait_for(std::size_t units, Clock::time_point deadline,
                                         Place place);
  bool take_free(std::size_t units, Place place = Place::last);  // under the mutex
  std::vector<std::shared_ptr<Waiter>> grant_waiting();
  static void wake(const std::vector<std::shared_ptr<Waiter>>& granted);
  void give_back(std::size_t units);
  void count(std::atomic<std::int64_t>* gauge, std::ptrdiff_t change);

  const std::size_t limit_;
  const Gauges gauges_;
  std::mutex mutex_;
  std::size_t in_use_ = 0;
  std::deque<std::shared_ptr<Waiter>> waiters_;
};

}  // namespace ocipfs
