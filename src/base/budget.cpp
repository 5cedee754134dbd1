#include "ocipfs/base/budget.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <vector>

#include "ocipfs/base/asio_tokens.hpp"

namespace ocipfs {

namespace asio = boost::asio;

// A caller waiting for units: woken on its own executor, by its deadline or by a grant.
struct Budget::Waiter {
  Waiter(const asio::any_io_executor& executor, std::size_t units) : wake(executor), units(units) {}
  asio::steady_timer wake;
  const std::size_t units;
  bool granted = false;  // under the mutex: the units were handed to this waiter
};

Budget::Lease& Budget::Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    if (owner_) owner_->give_back(units_);
    owner_ = std::exchange(other.owner_, nullptr);
    units_ = std::exchange(other.units_, 0);
  }
  return *this;
}

Budget::Lease::~Lease() {
  if (owner_) owner_->give_back(units_);
}

void Budget::Lease::shrink_to(std::size_t units) {
  if (!owner_ || units >= units_) return;
  owner_->give_back(units_ - units);
  units_ = units;
}

void Budget::Lease::absorb(Lease&& other) {
  if (!other.owner_) return;
  if (!owner_) owner_ = other.owner_;
  units_ += std::exchange(other.units_, 0);
  other.owner_ = nullptr;
}

Budget::Budget(std::size_t limit, Gauges gauges)
    : limit_(std::max<std::size_t>(limit, 1)), gauges_(gauges) {}

Budget::~Budget() = default;

void Budget::count(std::atomic<std::int64_t>* gauge, std::ptrdiff_t change) {
  if (gauge) gauge->fetch_add(change, std::memory_order_relaxed);
}

bool Budget::take_free(std::size_t units, Place place) {
  if (in_use_ + units > limit_ || (place == Place::last && !waiters_.empty())) return false;
  in_use_ += units;
  count(gauges_.in_use, static_cast<std::ptrdiff_t>(units));
  return true;
}

Budget::Lease Budget::try_acquire(std::size_t units) {
  units = std::min(units, limit_);
  std::lock_guard lock(mutex_);
  return take_free(units) ? Lease(this, units) : Lease();
}

asio::awaitable<Budget::Lease> Budget::acquire(std::size_t units, Clock::time_point deadline) {
  return wait_for(std::min(units, limit_), deadline, Place::last);
}

asio::awaitable<Budget::Lease> Budget::acquire_first(std::size_t units,
                                                     Clock::time_point deadline) {
  return wait_for(std::min(units, limit_), deadline, Place::first);
}

asio::awaitable<Budget::Lease> Budget::wait_for(std::size_t units, Clock::time_point deadline,
                                                Place place) {
  auto waiter = std::make_shared<Waiter>(co_await asio::this_coro::executor, units);
  waiter->wake.expires_at(deadline);
  {
    std::lock_guard lock(mutex_);
    if (take_free(units, place)) co_return Lease(this, units);
    if (place == Place::first) {
      waiters_.push_front(waiter);
    } else {
      waiters_.push_back(waiter);
    }
    count(gauges_.waiting, 1);
  }
  co_await waiter->wake.async_wait(use_tuple);
  std::vector<std::shared_ptr<Waiter>> granted;
  {
    std::lock_guard lock(mutex_);
    if (waiter->granted) co_return Lease(this, units);
    std::erase(waiters_, waiter);
    count(gauges_.waiting, -1);
    granted = grant_waiting();  // its leaving may let those behind it in
  }
  if (gauges_.refused) gauges_.refused->fetch_add(1, std::memory_order_relaxed);
  wake(granted);
  co_return Lease();
}

// Under the mutex: the waiters at the front that fit, in order, each given its units.
std::vector<std::shared_ptr<Budget::Waiter>> Budget::grant_waiting() {
  std::vector<std::shared_ptr<Waiter>> granted;
  while (!waiters_.empty() && in_use_ + waiters_.front()->units <= limit_) {
    auto next = std::move(waiters_.front());
    waiters_.pop_front();
    next->granted = true;
    in_use_ += next->units;
    count(gauges_.in_use, static_cast<std::ptrdiff_t>(next->units));
    count(gauges_.waiting, -1);
    granted.push_back(std::move(next));
  }
  return granted;
}

// A timer is touched only on its own executor; the waiter is kept alive until then.
void Budget::wake(const std::vector<std::shared_ptr<Waiter>>& granted) {
  for (const auto& next : granted)
    asio::post(next->wake.get_executor(), [next] { next->wake.cancel(); });
}

void Budget::give_back(std::size_t units) {
  std::vector<std::shared_ptr<Waiter>> granted;
  {
    std::lock_guard lock(mutex_);
    in_use_ -= units;
    count(gauges_.in_use, -static_cast<std::ptrdiff_t>(units));
    granted = grant_waiting();
  }
  wake(granted);
}

}  // namespace ocipfs
