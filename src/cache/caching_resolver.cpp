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

namespace ocipfs {

namespace asio = boost::asio;

// A request waiting for a fetch: woken on its own executor when the fetch ends.
struct ResolverShared::Waiter {
  explicit Waiter(const asio::any_io_executor& executor) : wake(executor) {}
  asio::steady_timer wake;
};

namespace {

constexpr std::size_t max_hot_bytes = 32u << 20;
constexpr std::size_t max_failure_bytes = 1u << 20;

std::size_t hot_bytes(std::size_t cache_bytes) { return std::min(cache_bytes / 8, max_hot_bytes); }

// Warm answers do not ask the cache: an image they used since it last moved up stays.
bool used_since(const Resolution& image) { return image && (*image)->use.take(); }

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

// The image is cached by what it is read as; the document's bytes by the CID alone.
struct CachingResolver::Keys {
  explicit Keys(const Repository& repository)
      : document(repository.cid.v1_bytes()), image(static_cast<char>(repository.kind) + document) {}
  std::string document;
  std::string image;
};

ResolverShared::ResolverShared(std::size_t cache_bytes, std::chrono::milliseconds failure_ttl,
                               Clock clock, const DocumentMemory& memory)
    : images(hot_bytes(cache_bytes), used_since),
      documents(cache_bytes - hot_bytes(cache_bytes)),
      failures(failure_ttl.count() > 0 ? max_failure_bytes : 0),
      memory(memory.bytes, memory.gauges),
      memory_wait(memory.wait),
      failure_ttl(failure_ttl),
      clock(std::move(clock)) {}

std::uint64_t ResolverShared::fetches() const {
  std::lock_guard lock(mutex_);
  return fetches_;
}

CachingResolver::CachingResolver(ContentSource& source, ResolverShared& shared,
                                 std::chrono::milliseconds wait_limit)
    : source_(source), shared_(shared), wait_limit_(wait_limit) {}

std::optional<Resolution> CachingResolver::cached(const Repository& repository, const Keys& keys) {
  if (auto image = shared_.images.find(keys.image)) return image;
  if (shared_.failure_ttl.count() > 0)
    if (auto failure = shared_.failures.find(keys.image);
        failure && shared_.clock() < failure->expires)
      return Unexpected{std::move(failure->error)};
  auto content = shared_.documents.find(keys.document);
  if (!content) return std::nullopt;
  std::optional<Resolution> rebuilt = rebuild(repository, std::move(*content));
  if (rebuilt && is_cacheable(*rebuilt))
    shared_.images.insert(keys.image, *rebuilt, cache_cost(keys.image, *rebuilt));
  return rebuilt;
}

// The image of a cached document, without waiting: an image document's only when each of its
// layers is at hand too.
std::optional<Resolution> CachingResolver::rebuild(const Repository& repository, Content content) {
  if (repository.kind != DocumentKind::image)
    return build_image(repository.kind, repository.cid, content);
  // A verbatim image is rebuilt by its flight, from the cached blobs (no gateway needed).
  if (content && declared_media_type(*content) == verbatim_image_media_type) return std::nullopt;
  auto document = read_image_document(repository.cid, content);
  if (!document) return Unexpected{document.error()};
  std::vector<Resolution> layers;
  for (const auto& cid : document->layers) {
    auto layer = cached(layer_repository(cid));
    if (!layer) return std::nullopt;
    layers.push_back(std::move(*layer));
  }
  return compose_resolution(repository.cid, *document, layers);
}

std::optional<Resolution> CachingResolver::cached(const Repository& repository) {
  return cached(repository, Keys(repository));
}

// Joins the fetch in flight for the repository as `waiter`, or starts one (`leader`); `hit` is
// set instead when the fetch that filled the cache ended since the caller's miss. A flight found
// in the map has no result yet: the result is set and the flight removed under one lock.
std::shared_ptr<ResolverShared::Flight> CachingResolver::join_flight(
    const Repository& repository, const Keys& keys, std::shared_ptr<ResolverShared::Waiter> waiter,
    bool& leader, std::optional<Resolution>& hit) {
  std::lock_guard lock(shared_.mutex_);
  auto& slot = shared_.flights_[keys.image];
  if (!slot) {
    if ((hit = cached(repository, keys))) {
      shared_.flights_.erase(keys.image);
      return nullptr;
    }
    slot = std::make_shared<ResolverShared::Flight>();
    leader = true;
    ++shared_.fetches_;
  }
  slot->waiters.push_back(std::move(waiter));
  return slot;
}

asio::awaitable<Resolution> CachingResolver::resolve(const Repository& repository) {
  Keys keys(repository);
  if (auto hit = cached(repository, keys)) co_return std::move(*hit);

  auto executor = co_await asio::this_coro::executor;
  auto waiter = std::make_shared<ResolverShared::Waiter>(executor);
  waiter->wake.expires_after(wait_limit_for(repository.kind));
  bool leader = false;
  std::optional<Resolution> hit;
  auto flight = join_flight(repository, keys, waiter, leader, hit);
  if (!flight) co_return std::move(*hit);
  // The fetch runs on its own, so no request's fate (cancelled, timed out) can break it.
  if (leader) asio::co_spawn(executor, fetch(repository, flight), asio::detached);

  co_await waiter->wake.async_wait(use_tuple);
  std::lock_guard lock(shared_.mutex_);
  if (flight->result) co_return *flight->result;
  co_return Unexpected{gateway_timeout("timed out waiting for " +
                                       std::string(document_noun(repository.kind)) + " " +
                                       repository.cid.to_string())};
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
  Keys keys(repository);
  Resolution result = Unexpected{internal_error()};
  Budget::Lease lease;
  try {
    Content content = co_await document(repository.cid, repository.kind, lease);
    if (repository.kind == DocumentKind::image) {
      result = co_await compose(repository.cid, content, lease);
    } else {
      result = build_image(repository.kind, repository.cid, content);
    }
  } catch (const std::exception&) {
  }
  if (is_cacheable(result)) {
    shared_.images.insert(keys.image, result, cache_cost(keys.image, result));
  } else if (shared_.failure_ttl.count() > 0 && result.error().status != 503) {
    // (A 503 says ocipfsd itself was out of room: the next request may well be served.)
    RecentFailure failure{result.error(), shared_.clock() + shared_.failure_ttl};
    std::size_t cost = cache_entry_overhead + keys.image.capacity() + sizeof(RecentFailure) +
                       failure.error.message.capacity();
    shared_.failures.insert(keys.image, std::move(failure), cost);
  }
  land(shared_.mutex_, shared_.flights_, keys.image, *flight,
       leased(std::move(result), std::move(lease)));
}

namespace {
// The most one fetch reads (GatewayClientOptions::max_body_size), and what any document held
// costs besides its bytes.
constexpr std::size_t fetch_charge = 1024 * 1024 + 64 * 1024;
constexpr std::size_t document_overhead = 16 * 1024;

// What a document costs while it is held: its bytes, and what any document costs besides.
std::size_t bytes_charge(const Content& content) {
  return document_overhead + (content ? content->size() : content.error().message.size());
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

// The document's verified bytes: cached, or fetched and then cached. `lease` holds their share
// of the document memory for as long as the caller works on them: the most a fetch may read
// while it runs, then their bytes. Layer manifests and blobs, which images wait for, go ahead
// of image documents in line; a cached document that is worked on without waiting needs no room.
asio::awaitable<Content> CachingResolver::document(const Cid& cid, DocumentKind kind,
                                                   Budget::Lease& lease) {
  const std::string key = cid.v1_bytes();
  const bool waits_for_others = kind == DocumentKind::image;
  std::optional<Content> content = shared_.documents.find(key);
  const std::size_t charge = content ? bytes_charge(*content) : fetch_charge;
  if (!(lease = shared_.memory.try_acquire(charge)) && (waits_for_others || !content)) {
    auto deadline = std::chrono::steady_clock::now() + shared_.memory_wait;
    if (waits_for_others) {
      lease = co_await shared_.memory.acquire(charge, deadline);
    } else {
      lease = co_await shared_.memory.acquire_first(charge, deadline);
    }
    if (!lease) co_return Unexpected{no_memory(cid, kind, shared_)};
  }
  if (!content) content = co_await fetch_once(cid, kind, key);
  lease.shrink_to(bytes_charge(*content));
  co_return std::move(*content);
}

asio::awaitable<Content> CachingResolver::fetch_once(const Cid& cid, DocumentKind kind,
                                                     const std::string& key) {
  auto waiter = std::make_shared<ResolverShared::Waiter>(co_await asio::this_coro::executor);
  waiter->wake.expires_after(wait_limit_);
  std::shared_ptr<ResolverShared::DocumentFlight> flight;
  bool leader = false;
  {
    std::lock_guard lock(shared_.mutex_);
    // A flight that ended since the caller's miss has filled the cache first.
    if (auto content = shared_.documents.find(key)) co_return std::move(*content);
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
    if (content) shared_.documents.insert(key, *content, cache_cost(key, *content));
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

asio::awaitable<Resolution> CachingResolver::compose(const Cid& cid, const Content& content,
                                                     Budget::Lease& lease) {
  if (content && declared_media_type(*content) == verbatim_image_media_type)
    co_return co_await keep_verbatim(cid, *content);
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
      Content bytes = co_await document(digest_cid(descriptor.digest), DocumentKind::blob, lease);
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
