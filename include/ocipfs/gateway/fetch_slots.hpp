// The process's bound on gateway sockets in use (--max-gateway-fetches), shared by every thread:
// a fetch holds a slot for the socket it uses, a hedge holds a second one. Thread-safe.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstddef>

#include "ocipfs/base/budget.hpp"

namespace ocipfs {

class FetchMetrics;

class FetchSlots {
 public:
  using Clock = Budget::Clock;
  using Slot = Budget::Lease;  // a held slot, given back when destroyed; empty when none was had

  // `limit` slots at most (at least 1). `metrics`, when given, must outlive this and is told the
  // slots in use, the fetches waiting and those refused.
  explicit FetchSlots(std::size_t limit, FetchMetrics* metrics = nullptr);

  // A slot at once when one is free; else the first one freed for this caller (callers are
  // served in the order they asked), or an empty Slot once `deadline` passes.
  boost::asio::awaitable<Slot> acquire(Clock::time_point deadline) {
    return budget_.acquire(1, deadline);
  }
  // A slot when one is free now; never waits (a hedge is worth a socket only when one is idle).
  Slot try_acquire() { return budget_.try_acquire(1); }
  std::size_t limit() const { return budget_.limit(); }

 private:
  Budget budget_;
};

}  // namespace ocipfs
