#include "ocipfs/cache/caching_resolver.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "ocipfs/base/asio_tokens.hpp"
#include "ocipfs/base/text.hpp"
#include "ocipfs/image/repository.hpp"

namespace ocipfs {

namespace asio = boost::asio;

// A request waiting for a fetch: woken on its own executor when the fetch ends.
struct ResolverShared::Waiter {
  explicit Waiter(const asio::any_io_executor& executor) : wake(executor) {}
  asio::steady_timer wake;
};

namespace {

constexpr std::size_t max_failure_bytes = 1u << 20;

// The image as the requests that waited for its fetch hold it: its document's lease of the
// document memory is given back when the last of them has answered (the cache holds it without).
Resolution leased(Resolution result, Budget::Lease lease) {
  if (!result || !lease) return result;
  struct Held {
    ImagePtr image;
    Budget::Lease lease;
  };
  auto held = std::make_shared<Held>(Held{*result, std::move(lease)});
  return ImagePtr(held, held->image.get());
}
}  // namespace

template <class Result>
struct ResolverShared::FlightOf {
  std::optional<Result> result;  // set once, under ResolverShared::mutex_
  std::vector<std::shared_ptr<Waiter>> waiters;
};

namespace {
// Ends the flight under `key` of `flights` with `result`, and wakes those who wait for it.
template <class Flights, class Result>
void land(std::mutex& mutex, Flights& flights, const std::string& key,
          typename Flights::mapped_type::element_type& flight, Result result) {
  decltype(flight.waiters) waiters;
  {
    std::lock_guard lock(mutex);
    flight.result = std::move(result);
    waiters.swap(flight.waiters);
    flights.erase(key);
  }
  for (auto& waiter : waiters)
    asio::post(waiter->wake.get_executor(), [waiter] { waiter->wake.cancel(); });
}
}  // namespace

ImageKey::ImageKey(DocumentKind kind, const CidV1Bytes& cid)
    : bytes_(), size_(1 + cid.view().size()) {
  bytes_[0] = static_cast<char>(kind);
  std::copy(cid.view().begin(), cid.view().end(), bytes_.begin() + 1);
}

ImageKey::ImageKey(const Repository& repository) : ImageKey(repository.kind, repository.cid.v1()) {}

ResolverShared::ResolverShared(std::size_t cache_bytes, std::chrono::milliseconds failure_ttl,
                               Clock clock, const DocumentMemory& memory)
    : images(cache_bytes),
      failures(max_failure_bytes),
      memory(memory.bytes, memory.gauges),
      memory_wait(memory.wait),
      failure_ttl(failure_ttl),
      clock(std::move(clock)) {}

std::uint64_t ResolverShared::fetches() const {
  std::lock_guard lock(mutex_);
  return fetches_;
}

std::optional<Resolution> ResolverShared::at_hand(std::string_view key) {
  if (auto image = images.find(key)) return *image;
  if (auto failure = failures.find(key); failure && clock() < failure->expires)
    return Unexpected{std::move(failure->error)};
  return std::nullopt;
}

void ResolverShared::keep(std::string_view key, const Resolution& resolution) {
  if (resolution) return images.insert(key, *resolution, cache_cost(key, **resolution));
  // (A 503 says ocipfsd itself was out of room: the next request may well be served.)
  const bool stands = is_cacheable(resolution);
  if (!stands && (failure_ttl.count() == 0 || resolution.error().status == 503)) return;
  RecentFailure failure{resolution.error(), stands ? std::chrono::steady_clock::time_point::max()
                                                   : clock() + failure_ttl};
  std::size_t cost =
      LruCache<RecentFailure>::entry_overhead + key.size() + failure.error.message.capacity();
  failures.insert(key, std::move(failure), cost);
}

CachingResolver::CachingResolver(asio::any_io_executor executor, ContentSource& source,
                                 ResolverShared& shared, std::chrono::milliseconds wait_limit)
    : executor_(std::move(executor)), source_(source), shared_(shared), wait_limit_(wait_limit) {}

ImagePtr CachingResolver::cached(std::string_view name) const {
  auto id = identify_repository(name);
  if (!id) return nullptr;
  // A miss here is counted by the look-up that follows it (find).
  auto found =
      shared_.images.find(ImageKey(id->kind, id->cid).view(), LruCache<ImagePtr>::Tally::hits_only);
  return found ? std::move(*found) : nullptr;
}

// A fetch that a look-up joined: the flight, and the wait for it.
struct CachingResolver::Lookup::Pending {
  Repository repository;
  std::shared_ptr<ResolverShared::Flight> flight;
  std::shared_ptr<ResolverShared::Waiter> waiter;
};

CachingResolver::Lookup::Lookup() = default;
CachingResolver::Lookup::Lookup(Lookup&&) noexcept = default;
CachingResolver::Lookup& CachingResolver::Lookup::operator=(Lookup&&) noexcept = default;
CachingResolver::Lookup::~Lookup() = default;

// The one look-up: a fetch in flight for the image is joined as it is; else the caches are asked,
// or the fetch is started.
CachingResolver::Lookup CachingResolver::find(const Repository& repository) {
  const ImageKey key(repository);
  std::unique_lock lock(shared_.mutex_);
  if (!shared_.flights_.contains(key.view()))
    if (auto found = shared_.at_hand(key.view())) {
      Lookup lookup;
      lookup.found_ = std::move(found);
      return lookup;
    }
  return join(repository, std::string(key.view()), lock);
}

// Joins the fetch in flight for the repository, or starts one, under `lock`, which it releases:
// the fetch may run at once, until it first waits.
CachingResolver::Lookup CachingResolver::join(const Repository& repository, const std::string& key,
                                              std::unique_lock<std::mutex>& lock) {
  auto& slot = shared_.flights_[key];
  const bool leader = !slot;
  if (leader) {
    slot = std::make_shared<ResolverShared::Flight>();
    ++shared_.fetches_;
  }
  auto waiter = std::make_shared<ResolverShared::Waiter>(executor_);
  waiter->wake.expires_after(wait_limit_for(repository.kind));
  slot->waiters.push_back(waiter);
  Lookup lookup;
  lookup.pending_ = std::make_unique<Lookup::Pending>(Lookup::Pending{repository, slot, waiter});
  lock.unlock();
  // The fetch runs on its own, so no request's fate (cancelled, timed out) can break it.
  if (leader) asio::co_spawn(executor_, fetch(repository, lookup.pending_->flight), asio::detached);
  return lookup;
}

asio::awaitable<Resolution> CachingResolver::wait(Lookup lookup) {
  if (!lookup.pending_) co_return std::move(*lookup.found_);
  Lookup::Pending& pending = *lookup.pending_;
  co_await pending.waiter->wake.async_wait(use_tuple);
  std::optional<Resolution> result;
  {
    std::lock_guard lock(shared_.mutex_);
    result = pending.flight->result;
  }
  if (!result)
    co_return Unexpected{gateway_timeout("timed out waiting for " +
                                         std::string(document_noun(pending.repository.kind)) + " " +
                                         pending.repository.cid.to_string())};
  co_return std::move(*result);
}

asio::awaitable<Resolution> CachingResolver::resolve(const Repository& repository) {
  co_return co_await wait(find(repository));
}

// An image waits for its document, then for its layers, layer_resolutions_at_once at a time: a
// wait for each step.
std::chrono::milliseconds CachingResolver::wait_limit_for(DocumentKind kind) const {
  if (kind != DocumentKind::image) return wait_limit_;
  constexpr std::size_t waves =
      (max_image_layers + layer_resolutions_at_once - 1) / layer_resolutions_at_once;
  return wait_limit_ * static_cast<int>(1 + waves);
}

asio::awaitable<void> CachingResolver::fetch(Repository repository,
                                             std::shared_ptr<ResolverShared::Flight> flight) {
  const std::string key(ImageKey(repository).view());
  Resolution result = Unexpected{internal_error()};
  Budget::Lease lease;
  try {
    Content content = co_await document(repository.cid, repository.kind, lease);
    if (repository.kind == DocumentKind::image) {
      result = co_await compose(repository.cid, content, content && keeps_verbatim_image(*content),
                                lease);
    } else {
      result = build_image(repository.kind, repository.cid, content);
    }
  } catch (const std::exception&) {
  }
  shared_.keep(key, result);
  result = leased(std::move(result), std::move(lease));
  land(shared_.mutex_, shared_.flights_, key, *flight, std::move(result));
}

namespace {
// The most one fetch reads (GatewayClientOptions::max_body_size), and what any document held
// costs besides its bytes.
constexpr std::size_t fetch_charge = 1024 * 1024 + 64 * 1024;
constexpr std::size_t document_overhead = 16 * 1024;

// What a document of `size` bytes costs while it is held: those, and what any document costs
// besides.
std::size_t bytes_charge(std::size_t size) { return document_overhead + size; }
std::size_t bytes_charge(const Content& content) {
  return bytes_charge(content ? content->size() : content.error().message.size());
}

// What an image document costs while its image is made: its bytes, and the manifest made for
// each platform, each carrying the document's annotations.
std::size_t composing_charge(const std::string& content) {
  return document_overhead + content.size() * (1 + default_platforms().size());
}

RegistryError no_memory(const Cid& cid, DocumentKind kind, const ResolverShared& shared) {
  return service_unavailable(
      "ocipfsd is busy: documents in flight held all of its --document-memory (" +
      std::to_string(shared.memory.limit() >> 20) + " MiB) for " +
      duration_text(shared.memory_wait) + ", so the " + std::string(document_noun(kind)) + " " +
      cid.to_string() + " was not read; try again");
}

// The layers an image document names, or why it is invalid.
Expected<std::vector<Cid>, RegistryError> layers_named(const Cid& cid, const Content& content) {
  auto document = read_image_document(cid, content);
  if (!document) return Unexpected{document.error()};
  return std::move(document->layers);
}
}  // namespace

// The document's verified bytes, fetched. `lease` holds their share of the document memory for
// as long as the caller works on them: the most a fetch may read while it runs, then their bytes.
// Layer manifests and blobs, which images wait for, go ahead of image documents in line.
asio::awaitable<Content> CachingResolver::document(const Cid& cid, DocumentKind kind,
                                                   Budget::Lease& lease) {
  if (!(lease = shared_.memory.try_acquire(fetch_charge))) {
    auto deadline = std::chrono::steady_clock::now() + shared_.memory_wait;
    if (kind == DocumentKind::image) {
      lease = co_await shared_.memory.acquire(fetch_charge, deadline);
    } else {
      lease = co_await shared_.memory.acquire_first(fetch_charge, deadline);
    }
    if (!lease) co_return Unexpected{no_memory(cid, kind, shared_)};
  }
  Content fetched = co_await fetch_once(cid, kind);
  lease.shrink_to(bytes_charge(fetched));
  co_return fetched;
}

// The document's bytes from the gateways, fetched once however many ask at once.
asio::awaitable<Content> CachingResolver::fetch_once(const Cid& cid, DocumentKind kind) {
  const std::string key = cid.v1_bytes();
  auto waiter = std::make_shared<ResolverShared::Waiter>(co_await asio::this_coro::executor);
  waiter->wake.expires_after(wait_limit_);
  std::shared_ptr<ResolverShared::DocumentFlight> flight;
  bool leader = false;
  {
    std::lock_guard lock(shared_.mutex_);
    auto& slot = shared_.document_flights_[key];
    leader = !slot;
    if (leader) {
      slot = std::make_shared<ResolverShared::DocumentFlight>();
    } else {
      slot->waiters.push_back(waiter);
    }
    flight = slot;
  }
  if (leader) {
    Content content = Unexpected{internal_error()};
    try {
      content = co_await source_.fetch(cid, kind);
    } catch (const std::exception&) {
    }
    land(shared_.mutex_, shared_.document_flights_, key, *flight, content);
    co_return content;
  }
  co_await waiter->wake.async_wait(use_tuple);
  std::lock_guard lock(shared_.mutex_);
  if (flight->result) co_return *flight->result;
  co_return Unexpected{gateway_timeout("timed out waiting for " + std::string(document_noun(kind)) +
                                       " " + cid.to_string())};
}

// Grows `lease` to `units` before an image is made: at once if there is room, else first in
// line, holding nothing meanwhile (two waiting to grow must not hold each other up).
asio::awaitable<bool> CachingResolver::grow(Budget::Lease& lease, std::size_t units) {
  if (units <= lease.units()) co_return true;
  if (auto more = shared_.memory.try_acquire(units - lease.units())) {
    lease.absorb(std::move(more));
    co_return true;
  }
  lease = {};
  lease = co_await shared_.memory.acquire_first(
      units, std::chrono::steady_clock::now() + shared_.memory_wait);
  co_return static_cast<bool>(lease);
}

// An image document's image: kept verbatim (`verbatim`), or composed of its layers.
asio::awaitable<Resolution> CachingResolver::compose(const Cid& cid, const Content& content,
                                                     bool verbatim, Budget::Lease& lease) {
  if (verbatim) co_return co_await keep_verbatim(cid, *content);
  // While the layers resolve, only the leased bytes are held, not their parsed form (annotations
  // of 1 MiB take several in a map): the document is read again once they are in.
  auto named = layers_named(cid, content);
  if (!named) co_return Unexpected{named.error()};
  std::vector<Resolution> layers = co_await resolve_layers(std::move(*named));
  const bool room = co_await grow(lease, composing_charge(*content));
  if (!room) co_return Unexpected{no_memory(cid, DocumentKind::image, shared_)};
  auto document = read_image_document(cid, content);
  if (!document) co_return Unexpected{document.error()};
  co_return compose_resolution(cid, *document, layers);
}

namespace {
constexpr std::size_t max_verbatim_documents = 256;  // indexes, manifests and configs of an image
constexpr int max_verbatim_depth = 3;                // index, nested index, manifest, config
}  // namespace

// What the workers of one keep_verbatim share: the documents still to fetch, those fetched, and
// the first failure. Every worker runs on one executor, so none of it needs a lock.
struct CachingResolver::VerbatimWalk {
  VerbatimWalk(const asio::any_io_executor& executor, const Cid& cid) : cid(cid), done(executor) {}
  Cid cid;
  std::vector<std::pair<VerbatimDescriptor, int>> pending;  // with its depth
  std::set<std::string> named;                              // digests pending or fetched
  std::map<std::string, std::string> blobs;                 // fetched, by digest
  std::vector<Budget::Lease> leases;                        // theirs, of the document memory
  std::optional<RegistryError> failure;
  std::size_t running = 0;  // workers not yet finished
  asio::steady_timer done;  // cancelled by the last worker

  void fail(RegistryError error) {
    if (!failure) failure = std::move(error);
  }
  void fail(const std::string& problem) {
    fail(invalid_document(DocumentKind::image, cid.to_string(), problem));
  }
};

// Fetches every index, manifest and config a verbatim document names, each proven against the raw
// CID of its digest and checked against its descriptor's size, then builds the image. Documents
// are fetched as soon as they are named, verbatim_fetches_at_once at a time: an index's manifests
// at once, and each manifest's config as soon as the manifest is in.
asio::awaitable<Resolution> CachingResolver::keep_verbatim(const Cid& cid,
                                                           const std::string& content) {
  auto verbatim = read_verbatim_document(cid, content);
  if (!verbatim) co_return Unexpected{verbatim.error()};
  auto executor = co_await asio::this_coro::executor;
  auto walk = std::make_shared<VerbatimWalk>(executor, cid);
  walk->done.expires_at(asio::steady_timer::time_point::max());
  walk->pending.emplace_back(verbatim->manifest, 0);
  walk->named.insert(verbatim->manifest.digest);
  add_verbatim_workers(walk);
  if (walk->running > 0) co_await walk->done.async_wait(use_tuple);
  if (walk->failure) co_return Unexpected{std::move(*walk->failure)};
  co_return verbatim_resolution(cid, *verbatim, walk->blobs);
}

// Starts a worker for each pending document, up to verbatim_fetches_at_once running.
void CachingResolver::add_verbatim_workers(const std::shared_ptr<VerbatimWalk>& walk) {
  if (walk->running >= verbatim_fetches_at_once) return;
  std::size_t more = std::min(verbatim_fetches_at_once - walk->running, walk->pending.size());
  walk->running += more;
  for (std::size_t i = 0; i < more; ++i)
    asio::co_spawn(walk->done.get_executor(), verbatim_worker(walk), asio::detached);
}

asio::awaitable<void> CachingResolver::verbatim_worker(std::shared_ptr<VerbatimWalk> walk) {
  while (!walk->failure && !walk->pending.empty()) {
    auto [descriptor, depth] = std::move(walk->pending.back());
    walk->pending.pop_back();
    try {
      Budget::Lease lease;
      const Cid cid = digest_cid(descriptor.digest);
      Content bytes = co_await document(cid, DocumentKind::blob, lease);
      walk->leases.push_back(std::move(lease));
      take_verbatim(*walk, descriptor, depth, std::move(bytes));
    } catch (const std::exception&) {
      walk->fail(internal_error());
    }
    add_verbatim_workers(walk);
  }
  if (--walk->running == 0) walk->done.cancel();
}

// Checks a fetched document against its descriptor, keeps it, and queues what it names.
void CachingResolver::take_verbatim(VerbatimWalk& walk, const VerbatimDescriptor& descriptor,
                                    int depth, Content bytes) {
  if (!bytes) {
    RegistryError error = bytes.error();
    error.message =
        "image " + walk.cid.to_string() + ": " + descriptor.digest + ": " + error.message;
    return walk.fail(std::move(error));
  }
  if (bytes->size() != descriptor.size)
    return walk.fail(descriptor.digest + " is " + std::to_string(bytes->size()) +
                     " bytes, not the " + std::to_string(descriptor.size) +
                     " its descriptor gives");
  auto links = linked_documents(descriptor, *bytes);
  if (!links) return walk.fail(links.error());
  if (!links->empty() && depth == max_verbatim_depth)
    return walk.fail(descriptor.digest + " nests deeper than " +
                     std::to_string(max_verbatim_depth) + " levels");
  for (auto& link : *links) {
    if (link.size > max_verbatim_blob_size)
      return walk.fail(link.digest +
                       " is larger than 1 MiB, the limit of a kept manifest or config");
    if (!walk.named.insert(link.digest).second) continue;
    if (walk.named.size() > max_verbatim_documents)
      return walk.fail("it names more than " + std::to_string(max_verbatim_documents) +
                       " indexes, manifests and configs");
    walk.pending.emplace_back(std::move(link), depth + 1);
  }
  walk.blobs.emplace(descriptor.digest, std::move(*bytes));
}

// What the workers of one resolve_layers share: the work and its results.
struct CachingResolver::LayerBatch {
  LayerBatch(const asio::any_io_executor& executor, std::vector<Cid> cids)
      : cids(std::move(cids)),
        results(this->cids.size(), Unexpected{internal_error()}),
        done(executor) {}
  std::vector<Cid> cids;
  std::vector<Resolution> results;
  std::size_t next = 0;     // the next layer a worker takes
  std::size_t running = 0;  // workers not yet finished
  asio::steady_timer done;  // cancelled by the last worker
};

asio::awaitable<std::vector<Resolution>> CachingResolver::resolve_layers(std::vector<Cid> cids) {
  auto executor = co_await asio::this_coro::executor;
  auto batch = std::make_shared<LayerBatch>(executor, std::move(cids));
  const std::size_t workers = std::min(layer_resolutions_at_once, batch->cids.size());
  batch->running = workers;
  batch->done.expires_at(asio::steady_timer::time_point::max());
  // Every worker runs on this coroutine's executor, so the batch needs no lock. A worker may
  // run to its end inside co_spawn (every layer cached): hence the count, checked before waiting.
  for (std::size_t i = 0; i < workers; ++i)
    asio::co_spawn(executor, layer_worker(batch), asio::detached);
  if (batch->running > 0) co_await batch->done.async_wait(use_tuple);
  co_return std::move(batch->results);
}

asio::awaitable<void> CachingResolver::layer_worker(std::shared_ptr<LayerBatch> batch) {
  while (batch->next < batch->cids.size()) {
    std::size_t i = batch->next++;
    try {
      batch->results[i] = co_await resolve(layer_repository(batch->cids[i]));
    } catch (const std::exception&) {
    }
  }
  if (--batch->running == 0) batch->done.cancel();
}

Repository layer_repository(const Cid& cid) {
  return {DocumentKind::layer, cid, "layer/" + cid.to_string()};
}

}  // namespace ocipfs
