// The caching front of the resolver seam: cached images, and one gateway fetch per uncached CID
// however many requests ask for it at once, from whichever thread.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "ocipfs/image_cache.hpp"
#include "ocipfs/resolver.hpp"

namespace ocipfs {

// What all threads share: the caches and the fetches in flight.
class ResolverShared {
 public:
  // `cache_bytes` is split: an eighth (at most 32 MiB) for hot images with prebuilt bytes, the
  // rest for verified layer manifests, from which an image is rebuilt in microseconds.
  explicit ResolverShared(std::size_t cache_bytes);
  ImageCache images;
  ManifestCache manifests;

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
  CachingResolver(ContentSource& inner, ResolverShared& shared,
                  std::chrono::milliseconds wait_limit);
  boost::asio::awaitable<Resolution> resolve(const Cid& cid) override;
  std::optional<Resolution> cached(const Cid& cid) override;

 private:
  boost::asio::awaitable<void> fetch(Cid cid, std::string key,
                                     std::shared_ptr<ResolverShared::Flight> flight);

  std::optional<Resolution> cached(const Cid& cid, const std::string& key);

  ContentSource& inner_;
  ResolverShared& shared_;
  std::chrono::milliseconds wait_limit_;
};

}  // namespace ocipfs
