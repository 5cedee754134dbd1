// The caching resolver, the one way a request gets its image: the cache of images all threads
// share, and one gateway fetch per uncached document however many requests ask for it at once,
// from whichever thread.
#pragma once

#include <array>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ocipfs/base/budget.hpp"
#include "ocipfs/cache/lru_cache.hpp"
#include "ocipfs/cache/resolver.hpp"

namespace ocipfs {

// A gateway failure that just happened, answered again until `expires`.
struct RecentFailure {
  RegistryError error;
  std::chrono::steady_clock::time_point expires;
};

// The key an image is cached under: its kind, then its CID as a binary CIDv1. Made in place, and
// the same way for a parsed repository (the cold path) and a name as requested (the warm one).
class ImageKey {
 public:
  ImageKey(DocumentKind kind, const CidV1Bytes& cid);
  explicit ImageKey(const Repository& repository);
  std::string_view view() const { return {bytes_.data(), size_}; }

 private:
  std::array<char, 1 + max_cid_v1_size> bytes_;
  std::size_t size_;
};

// The memory that documents being fetched, parsed and composed share (--document-memory): a
// fetch leases the most it may read, then the size of what it read, until the image is built.
// Past `wait`, a document that found no room is answered 503.
struct DocumentMemory {
  std::size_t bytes = 128 * 1024 * 1024;
  std::chrono::milliseconds wait{10'000};
  Budget::Gauges gauges;
};

// What all threads share: the cache, the memory of documents in flight, and the fetches in
// flight. It outlives every resolution its resolvers hand out: an image fetched for waiting
// requests gives its document memory back when the last of them lets it go.
class ResolverShared {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  // `cache_bytes` holds images (a composed image's layers are layer/<cid> images of their own, a
  // verbatim image keeps its documents). A resolution that failed at the gateways (a 404, a
  // timeout, a 5xx, a lie) is answered again for `failure_ttl` without asking them (0: never);
  // `clock` tells the time (a test's own).
  explicit ResolverShared(std::size_t cache_bytes,
                          std::chrono::milliseconds failure_ttl = std::chrono::milliseconds(0),
                          Clock clock = std::chrono::steady_clock::now,
                          const DocumentMemory& memory = DocumentMemory());
  LruCache<ImagePtr> images;  // by ImageKey
  // By ImageKey, 1 MiB at most: documents proven invalid, for good, and gateway failures, for
  // failure_ttl (errors are kept apart: they cannot evict images).
  LruCache<RecentFailure> failures;
  Budget memory;  // of the documents in flight
  const std::chrono::milliseconds memory_wait;
  const std::chrono::milliseconds failure_ttl;
  const Clock clock;

  std::uint64_t fetches() const;  // fetches started by any resolver, since start

  // What the caches hold for the image keyed `key`: the image, or an error that stands.
  std::optional<Resolution> at_hand(std::string_view key);
  // Keeps what resolving the image keyed `key` gave: an image or a document proven invalid for
  // good, a gateway failure for failure_ttl.
  void keep(std::string_view key, const Resolution& resolution);

 private:
  friend class CachingResolver;
  struct Waiter;
  template <class Result>
  struct FlightOf;
  using Flight = FlightOf<Resolution>;       // an image being resolved
  using DocumentFlight = FlightOf<Content>;  // a document being fetched
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Flight>, std::less<>> flights_;      // by ImageKey
  std::map<std::string, std::shared_ptr<DocumentFlight>> document_flights_;  // by binary CID
  std::uint64_t fetches_ = 0;
};

// One per thread: fetches with that thread's `source` on its `executor`, shares the rest. An
// image document's layers are resolved through the same resolver, so each layer manifest is
// fetched once however many images name it.
class CachingResolver final {
 public:
  // `wait_limit` bounds how long a request waits for a fetch in flight (the fetch itself is
  // bounded by the gateway deadlines; this is a safety net); a request for an image waits that
  // long for its document and for each wave of its layers.
  CachingResolver(boost::asio::any_io_executor executor, ContentSource& source,
                  ResolverShared& shared, std::chrono::milliseconds wait_limit);

  // What one look-up of an image found: its resolution, at hand, or the fetch it waits for.
  class Lookup {
   public:
    Lookup(Lookup&&) noexcept;
    Lookup& operator=(Lookup&&) noexcept;
    ~Lookup();
    // The resolution at hand (an image, or an error that stands); nullptr when it must be waited
    // for.
    const Resolution* ready() const { return found_ ? &*found_ : nullptr; }

   private:
    friend class CachingResolver;
    struct Pending;
    Lookup();
    std::optional<Resolution> found_;
    std::unique_ptr<Pending> pending_;
  };

  // The image that `name`, a repository name as requested, resolves to, when the cache holds it;
  // nullptr otherwise (a miss, an error, a name no route accepts). Allocates nothing, and locks
  // the cache for one look-up: the warm answers' way.
  ImagePtr cached(std::string_view name) const;
  // Looks `repository` up once in the shared caches: its image, or an error that stands, at
  // hand; else the fetch in flight for it is joined, or started (on this resolver's executor),
  // for `wait`.
  Lookup find(const Repository& repository);
  // The resolution `lookup` found, or waits for (a 504 past the wait limit).
  boost::asio::awaitable<Resolution> wait(Lookup lookup);
  // find, then wait.
  boost::asio::awaitable<Resolution> resolve(const Repository& repository);

 private:
  struct LayerBatch;
  struct VerbatimWalk;
  std::chrono::milliseconds wait_limit_for(DocumentKind kind) const;
  Lookup join(const Repository& repository, const std::string& key,
              std::unique_lock<std::mutex>& lock);
  boost::asio::awaitable<void> fetch(Repository repository,
                                     std::shared_ptr<ResolverShared::Flight> flight);
  boost::asio::awaitable<Content> document(const Cid& cid, DocumentKind kind, Budget::Lease& lease);
  // The document's bytes from the gateways, fetched once however many ask at once.
  boost::asio::awaitable<Content> fetch_once(const Cid& cid, DocumentKind kind);
  boost::asio::awaitable<bool> grow(Budget::Lease& lease, std::size_t units);
  boost::asio::awaitable<Resolution> compose(const Cid& cid, const Content& content, bool verbatim,
                                             Budget::Lease& lease);
  boost::asio::awaitable<Resolution> keep_verbatim(const Cid& cid, const std::string& content);
  void add_verbatim_workers(const std::shared_ptr<VerbatimWalk>& walk);
  boost::asio::awaitable<void> verbatim_worker(std::shared_ptr<VerbatimWalk> walk);
  void take_verbatim(VerbatimWalk& walk, const VerbatimDescriptor& descriptor, int depth,
                     Content bytes);
  // Resolves layer/<cid> for each of `cids`, layer_resolutions_at_once at a time.
  boost::asio::awaitable<std::vector<Resolution>> resolve_layers(std::vector<Cid> cids);
  boost::asio::awaitable<void> layer_worker(std::shared_ptr<LayerBatch> batch);

  boost::asio::any_io_executor executor_;
  ContentSource& source_;
  ResolverShared& shared_;
  std::chrono::milliseconds wait_limit_;
};

// layer/<cid>: the repository an image document's layer is resolved as.
Repository layer_repository(const Cid& cid);

}  // namespace ocipfs
