// The caching resolver: cached images, and one gateway fetch per uncached document however many
// requests ask for it at once, from whichever thread.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "ocipfs/lru_cache.hpp"
#include "ocipfs/resolver.hpp"

namespace ocipfs {

// What all threads share: the caches and the fetches in flight.
class ResolverShared {
 public:
  // `cache_bytes` is split: an eighth (at most 32 MiB) for hot images with prebuilt bytes, the
  // rest for verified documents, from which an image is rebuilt in microseconds.
  explicit ResolverShared(std::size_t cache_bytes);
  LruCache<Resolution> images;      // by repository kind and CID
  LruCache<std::string> documents;  // verified bytes, by CID

  std::uint64_t fetches() const;  // fetches started by any resolver, since start

 private:
  friend class CachingResolver;
  struct Flight;
  struct Waiter;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Flight>> flights_;
  std::uint64_t fetches_ = 0;
};

// One per thread: fetches with that thread's `source`, shares the rest.
class CachingResolver final : public Resolver {
 public:
  // `wait_limit` bounds how long a request waits for a fetch in flight (the fetch itself is
  // bounded by the gateway deadlines; this is a safety net).
  CachingResolver(ContentSource& source, ResolverShared& shared,
                  std::chrono::milliseconds wait_limit);
  boost::asio::awaitable<Resolution> resolve(const Repository& repository) override;
  std::optional<Resolution> cached(const Repository& repository) override;

 private:
  struct Keys;
  boost::asio::awaitable<void> fetch(Repository repository,
                                     std::shared_ptr<ResolverShared::Flight> flight);
  std::optional<Resolution> cached(const Repository& repository, const Keys& keys);
  std::shared_ptr<ResolverShared::Flight> join_flight(
      const Repository& repository, const Keys& keys,
      std::shared_ptr<ResolverShared::Waiter> waiter, bool& leader, std::optional<Resolution>& hit);

  ContentSource& source_;
  ResolverShared& shared_;
  std::chrono::milliseconds wait_limit_;
};

}  // namespace ocipfs
