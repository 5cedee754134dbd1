#include "ocipfs/fetch_slots.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include "asio_tokens.hpp"
#include "ocipfs/metrics.hpp"

namespace ocipfs {

namespace asio = boost::asio;

// A caller waiting for a slot: woken on its own executor, by its deadline or by a grant.
struct FetchSlots::Waiter {
  explicit Waiter(const asio::any_io_executor& executor) : wake(executor) {}
  asio::steady_timer wake;
  bool granted = false;  // under the mutex: a freed slot was handed to this waiter
};

FetchSlots::Slot& FetchSlots::Slot::operator=(Slot&& other) noexcept {
  if (this != &other) {
    if (owner_) owner_->release();
    owner_ = std::exchange(other.owner_, nullptr);
  }
  return *this;
}

FetchSlots::Slot::~Slot() {
  if (owner_) owner_->release();
}

FetchSlots::FetchSlots(std::size_t limit, Metrics* metrics)
    : limit_(std::max<std::size_t>(limit, 1)), metrics_(metrics) {}

void FetchSlots::count_in_use(std::ptrdiff_t change) {
  if (metrics_) metrics_->fetches_in_flight.fetch_add(change, std::memory_order_relaxed);
}

void FetchSlots::count_waiting(std::ptrdiff_t change) {
  if (metrics_) metrics_->fetches_waiting.fetch_add(change, std::memory_order_relaxed);
}

bool FetchSlots::take_free() {
  if (in_use_ >= limit_ || !waiters_.empty()) return false;
  ++in_use_;
  count_in_use(1);
  return true;
}

FetchSlots::Slot FetchSlots::try_acquire() {
  std::lock_guard lock(mutex_);
  return take_free() ? Slot(this) : Slot();
}

asio::awaitable<FetchSlots::Slot> FetchSlots::acquire(Clock::time_point deadline) {
  if (Slot slot = try_acquire()) co_return slot;
  auto waiter = std::make_shared<Waiter>(co_await asio::this_coro::executor);
  waiter->wake.expires_at(deadline);
  {
    std::lock_guard lock(mutex_);
    if (take_free()) co_return Slot(this);  // freed since
    waiters_.push_back(waiter);
    count_waiting(1);
  }
  co_await waiter->wake.async_wait(use_tuple);
  std::lock_guard lock(mutex_);
  if (waiter->granted) co_return Slot(this);
  std::erase(waiters_, waiter);
  count_waiting(-1);
  if (metrics_) metrics_->fetches_refused.fetch_add(1, std::memory_order_relaxed);
  co_return Slot();
}

// The slot goes to the first waiter, if any (it stays in use), else back to the pool.
void FetchSlots::release() {
  std::shared_ptr<Waiter> next;
  {
    std::lock_guard lock(mutex_);
    if (waiters_.empty()) {
      --in_use_;
      count_in_use(-1);
      return;
    }
    next = std::move(waiters_.front());
    waiters_.pop_front();
    next->granted = true;
    count_waiting(-1);
  }
  // The timer is touched only on its own executor; `next` keeps it alive until then.
  asio::post(next->wake.get_executor(), [next] { next->wake.cancel(); });
}

}  // namespace ocipfs
