#include "ocipfs/server/metrics.hpp"

namespace ocipfs {

using namespace prometheus;

namespace {

constexpr std::array<const char*, 9> route_names = {
    "base", "manifest", "blob", "tags", "referrers", "health", "metrics", "page", "other"};
// The label of each RouteKind, in its order: an index into route_names.
constexpr std::array<std::size_t, route_kind_count> label_of_route = {0, 1, 2, 3, 4, 5, 5, 6, 7, 8};

constexpr std::array<const char*, handshake_failure_count> handshake_failure_names = {
    "plain_http", "timed_out", "closed", "refused"};

// The cache has one tier, the images; its label stays as it was.
void render_caches(std::string& out, const CacheStats& images) {
  constexpr const char* tier = "tier=\"images\"";
  header(out, "ocipfs_cache_hits_total", "counter", "Cache lookups that found an entry.");
  sample(out, "ocipfs_cache_hits_total", tier, images.hits);
  header(out, "ocipfs_cache_misses_total", "counter", "Cache lookups that found nothing.");
  sample(out, "ocipfs_cache_misses_total", tier, images.misses);
  header(out, "ocipfs_cache_entries", "gauge", "Entries in the cache.");
  sample(out, "ocipfs_cache_entries", tier, images.entries);
  header(out, "ocipfs_cache_bytes", "gauge", "Bytes held by the cache.");
  sample(out, "ocipfs_cache_bytes", tier, images.bytes);
}

}  // namespace

Metrics::Metrics(std::vector<std::string> gateways) : fetches(std::move(gateways)) {}

std::size_t Metrics::status_index(unsigned status) {
  for (std::size_t i = 0; i + 1 < statuses.size(); ++i)
    if (statuses[i] == status) return i;
  return statuses.size() - 1;
}

void Metrics::request_done(RouteKind route, unsigned status, std::chrono::nanoseconds duration) {
  auto r = label_of_route[static_cast<std::size_t>(route)];
  requests_[r][status_index(status)].fetch_add(1, std::memory_order_relaxed);
  durations_[r].observe(duration);
}

void Metrics::handshake_failed(HandshakeFailure why) {
  handshake_failures_[static_cast<std::size_t>(why)].fetch_add(1, std::memory_order_relaxed);
}

void Metrics::render_tls(std::string& out) const {
  single(out, "ocipfs_tls_handshakes_total", "counter",
         "TLS handshakes completed (with --tls-cert).", tls_handshakes.load());
  header(out, "ocipfs_tls_handshake_failures_total", "counter",
         "TLS handshakes that failed, by reason.");
  for (std::size_t i = 0; i < handshake_failures_.size(); ++i)
    sample(out, "ocipfs_tls_handshake_failures_total",
           std::string("reason=\"") + handshake_failure_names[i] + "\"",
           handshake_failures_[i].load(std::memory_order_relaxed));
}

void Metrics::render_requests(std::string& out) const {
  header(out, "ocipfs_requests_total", "counter", "HTTP requests answered, by route and status.");
  for (std::size_t r = 0; r < requests_.size(); ++r)
    for (std::size_t s = 0; s < statuses.size(); ++s) {
      auto value = requests_[r][s].load(std::memory_order_relaxed);
      if (value == 0) continue;
      std::string status = statuses[s] ? std::to_string(statuses[s]) : "other";
      sample(out, "ocipfs_requests_total",
             std::string("route=\"") + route_names[r] + "\",status=\"" + status + "\"", value);
    }
  header(out, "ocipfs_request_duration_seconds", "histogram", "Time to answer a request.");
  for (std::size_t r = 0; r < durations_.size(); ++r)
    if (durations_[r].count() > 0)
      durations_[r].render(out, "ocipfs_request_duration_seconds",
                           std::string("route=\"") + route_names[r] + "\"");
}

void Metrics::render_document_memory(std::string& out) const {
  single(out, "ocipfs_document_memory_bytes", "gauge",
         "Bytes of documents being fetched, parsed and composed (at most --document-memory).",
         document_memory_bytes.load());
  single(out, "ocipfs_document_memory_waiting", "gauge",
         "Documents waiting for room in --document-memory.", document_memory_waiting.load());
  single(out, "ocipfs_document_memory_refused_total", "counter",
         "Documents answered 503: --document-memory had no room before their deadline.",
         document_memory_refused.load());
}

std::string Metrics::render(const CacheStats& images) const {
  std::string out;
  out.reserve(16 * 1024);
  header(out, "ocipfs_build_info", "gauge", "Version of this ocipfsd.");
  sample(out, "ocipfs_build_info", "version=\"" OCIPFS_VERSION "\"", std::uint64_t{1});
  render_requests(out);
  fetches.render(out);
  transfers.render(out);
  render_document_memory(out);
  render_caches(out, images);
  single(out, "ocipfs_requests_in_flight", "gauge", "Requests being answered now.",
         in_flight.load());
  single(out, "ocipfs_open_connections", "gauge", "Client connections open now.",
         connections.load());
  single(out, "ocipfs_connections_refused_total", "counter",
         "Client connections refused (answered 503, or closed at once over TLS): "
         "--max-connections were open.",
         refused_connections.load());
  render_tls(out);
  return out;
}

}  // namespace ocipfs
