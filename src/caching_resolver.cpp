#include "ocipfs/caching_resolver.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>
#include <vector>

namespace ocipfs {

namespace asio = boost::asio;

namespace {
// A request waiting for a fetch: woken on its own executor when the fetch ends.
struct Waiter {
  explicit Waiter(const asio::any_io_executor& executor) : wake(executor) {}
  asio::steady_timer wake;
};
}  // namespace

struct ResolverShared::Flight {
  std::optional<Resolution> result;  // set once, under ResolverShared::mutex_
  std::vector<std::shared_ptr<Waiter>> waiters;
};

namespace {
constexpr std::size_t max_hot_bytes = 32u << 20;
}

ResolverShared::ResolverShared(std::size_t cache_bytes)
    : images(std::min(cache_bytes / 8, max_hot_bytes)),
      manifests(cache_bytes - std::min(cache_bytes / 8, max_hot_bytes)) {}

std::uint64_t ResolverShared::fetches() const {
  std::lock_guard lock(mutex_);
  return fetches_;
}

CachingResolver::CachingResolver(ContentSource& inner, ResolverShared& shared,
                                 std::chrono::milliseconds wait_limit)
    : inner_(inner), shared_(shared), wait_limit_(wait_limit) {}

std::optional<Resolution> CachingResolver::cached(const Cid& cid, const std::string& key) {
  if (auto image = shared_.images.find(key)) return image;
  auto content = shared_.manifests.find(key);
  if (!content) return std::nullopt;
  Resolution rebuilt = build_image(cid, std::move(*content));
  if (is_cacheable(rebuilt)) shared_.images.insert(key, rebuilt);
  return rebuilt;
}

std::optional<Resolution> CachingResolver::cached(const Cid& cid) {
  return cached(cid, cid.v1_bytes());
}

asio::awaitable<Resolution> CachingResolver::resolve(const Cid& cid) {
  std::string key = cid.v1_bytes();
  if (auto hit = cached(cid, key)) co_return std::move(*hit);

  auto executor = co_await asio::this_coro::executor;
  auto waiter = std::make_shared<Waiter>(executor);
  waiter->wake.expires_after(wait_limit_);
  std::shared_ptr<ResolverShared::Flight> flight;
  bool leader = false;
  {
    std::lock_guard lock(shared_.mutex_);
    auto& slot = shared_.flights_[key];
    if (!slot) {
      // The fetch that filled the cache may have ended since our miss.
      if (auto hit = cached(cid, key)) {
        shared_.flights_.erase(key);
        co_return std::move(*hit);
      }
      slot = std::make_shared<ResolverShared::Flight>();
      leader = true;
      ++shared_.fetches_;
    }
    flight = slot;
    flight->waiters.push_back(waiter);
  }
  // The fetch runs on its own, so no request's fate (cancelled, timed out) can break it.
  if (leader) asio::co_spawn(executor, fetch(cid, key, flight), asio::detached);

  co_await waiter->wake.async_wait(asio::as_tuple(asio::use_awaitable));
  std::lock_guard lock(shared_.mutex_);
  if (flight->result) co_return *flight->result;
  co_return Unexpected{RegistryError{504, ErrorCode::unavailable,
                                     "timed out waiting for layer manifest " + cid.to_string()}};
}

asio::awaitable<void> CachingResolver::fetch(Cid cid, std::string key,
                                             std::shared_ptr<ResolverShared::Flight> flight) {
  Content content = Unexpected{internal_error()};
  try {
    content = co_await inner_.fetch(cid);
  } catch (const std::exception&) {
  }
  if (content) shared_.manifests.insert(key, *content);
  Resolution result = build_image(cid, content);
  if (is_cacheable(result)) shared_.images.insert(key, result);
  std::vector<std::shared_ptr<Waiter>> waiters;
  {
    std::lock_guard lock(shared_.mutex_);
    flight->result = std::move(result);
    waiters.swap(flight->waiters);
    shared_.flights_.erase(key);
  }
  for (auto& waiter : waiters)
    asio::post(waiter->wake.get_executor(), [waiter] { waiter->wake.cancel(); });
}

}  // namespace ocipfs
