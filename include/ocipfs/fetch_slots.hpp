// The process's bound on gateway sockets in use (--max-gateway-fetches), shared by every thread:
// a fetch holds a slot for the socket it uses, a hedge holds a second one. Thread-safe.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>

namespace ocipfs {

class Metrics;

class FetchSlots {
 public:
  using Clock = std::chrono::steady_clock;

  // A held slot, given back when destroyed; empty when none was had.
  class Slot {
   public:
    Slot() = default;
    Slot(Slot&& other) noexcept : owner_(std::exchange(other.owner_, nullptr)) {}
    Slot& operator=(Slot&& other) noexcept;
    ~Slot();
    explicit operator bool() const { return owner_ != nullptr; }

   private:
    friend class FetchSlots;
    explicit Slot(FetchSlots* owner) : owner_(owner) {}
    FetchSlots* owner_ = nullptr;
  };

  // `limit` slots at most (at least 1). `metrics`, when given, must outlive this and is told the
  // slots in use, the fetches waiting and those refused.
  explicit FetchSlots(std::size_t limit, Metrics* metrics = nullptr);
  FetchSlots(const FetchSlots&) = delete;
  FetchSlots& operator=(const FetchSlots&) = delete;

  // A slot at once when one is free; else the first one freed for this caller (callers are
  // served in the order they asked), or an empty Slot once `deadline` passes.
  boost::asio::awaitable<Slot> acquire(Clock::time_point deadline);
  // A slot when one is free now; never waits (a hedge is worth a socket only when one is idle).
  Slot try_acquire();
  std::size_t limit() const { return limit_; }

 private:
  struct Waiter;
  bool take_free();  // under the mutex: takes a free slot when no one waits for one
  void release();
  void count_in_use(std::ptrdiff_t change);
  void count_waiting(std::ptrdiff_t change);

  const std::size_t limit_;
  Metrics* const metrics_;
  std::mutex mutex_;
  std::size_t in_use_ = 0;
  std::deque<std::shared_ptr<Waiter>> waiters_;
};

}  // namespace ocipfs
