// The caching front of the resolver seam: cached images, and one gateway fetch per uncached CID
// however many requests ask for it at once, from whichever thread.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "ocipfs/image_cache.hpp"
#include "ocipfs/resolver.hpp"

namespace ocipfs {

// What all threads share: the cache and the fetches in flight.
class ResolverShared {
 public:
  explicit ResolverShared(std::size_t cache_bytes) : cache(cache_bytes) {}
  ImageCache cache;

  std::uint64_t fetches() const;  // fetches started by any resolver, since start

 private:
  friend class CachingResolver;
  struct Flight;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Flight>> flights_;
  std::uint64_t fetches_ = 0;
};

// One per thread: fetches with that thread's `inner` resolver, shares the rest.
class CachingResolver final : public Resolver {
 public:
  // `wait_limit` bounds how long a request waits for a fetch in flight (the fetch itself is
  // bounded by the gateway deadlines; this is a safety net).
  CachingResolver(Resolver& inner, ResolverShared& shared, std::chrono::milliseconds wait_limit);
  boost::asio::awaitable<Resolution> resolve(const Cid& cid) override;

 private:
  boost::asio::awaitable<void> fetch(Cid cid, std::string key,
                                     std::shared_ptr<ResolverShared::Flight> flight);

  Resolver& inner_;
  ResolverShared& shared_;
  std::chrono::milliseconds wait_limit_;
};

}  // namespace ocipfs
