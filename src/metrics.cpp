#include "ocipfs/metrics.hpp"

#include <charconv>
#include <concepts>

namespace ocipfs {

namespace {

constexpr std::array<const char*, 8> route_names = {"base",      "manifest", "blob",    "tags",
                                                    "referrers", "health",   "metrics", "other"};
// The label of each RouteKind, in its order: an index into route_names.
constexpr std::array<std::size_t, route_kind_count> label_of_route = {0, 1, 2, 3, 4, 5, 5, 6, 7};

std::string outcome_name(std::size_t outcome) {
  if (outcome == 0) return "ok";
  return std::string(fault_label(static_cast<FetchFault>(outcome - 1)));
}

// Exact values: counts as integers, seconds in the shortest form that reads back the same double.
std::string number(std::integral auto value) { return std::to_string(value); }

std::string number(double value) {
  char buffer[32];
  auto end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;
  return std::string(buffer, end);
}

// Label values are ours (routes, outcomes) or configured gateway origins: escape \ " and newline.
std::string label_value(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

void header(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void sample(std::string& out, const std::string& name, const std::string& labels, auto value) {
  out += name;
  if (!labels.empty()) out += "{" + labels + "}";
  out += ' ';
  out += number(value);
  out += '\n';
}

// A metric of one series without labels: its HELP, TYPE and sample.
void single(std::string& out, const char* name, const char* type, const char* help, auto value) {
  header(out, name, type, help);
  sample(out, name, "", value);
}

}  // namespace

void Histogram::observe(std::chrono::nanoseconds duration) {
  double seconds = std::chrono::duration<double>(duration).count();
  std::size_t i = 0;
  while (i < bounds.size() && seconds > bounds[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_nanos_.fetch_add(static_cast<std::uint64_t>(duration.count()), std::memory_order_relaxed);
}

void Histogram::render(std::string& out, const std::string& name, const std::string& labels) const {
  std::uint64_t cumulative = 0;
  std::string prefix = labels.empty() ? "" : labels + ",";
  for (std::size_t i = 0; i <= bounds.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    std::string le = i < bounds.size() ? number(bounds[i]) : "+Inf";
    sample(out, name + "_bucket", prefix + "le=\"" + le + "\"", cumulative);
  }
  sample(out, name + "_sum", labels,
         static_cast<double>(sum_nanos_.load(std::memory_order_relaxed)) / 1e9);
  sample(out, name + "_count", labels, count_.load(std::memory_order_relaxed));
}

Metrics::Metrics(std::vector<std::string> gateways)
    : gateways_(std::move(gateways)),
      fetches_(gateways_.size()),
      fetch_durations_(gateways_.size()) {}

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

void Metrics::fetch_succeeded(std::size_t gateway, std::chrono::nanoseconds duration) {
  fetch_done(gateway, 0, duration);
}

void Metrics::fetch_failed(std::size_t gateway, FetchFault fault,
                           std::chrono::nanoseconds duration) {
  fetch_done(gateway, static_cast<std::size_t>(fault) + 1, duration);
}

void Metrics::fetch_done(std::size_t gateway, std::size_t outcome,
                         std::chrono::nanoseconds duration) {
  if (gateway >= fetches_.size()) return;
  fetches_[gateway][outcome].fetch_add(1, std::memory_order_relaxed);
  fetch_durations_[gateway].observe(duration);
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

void Metrics::render_fetches(std::string& out) const {
  header(out, "ocipfs_gateway_fetches_total", "counter",
         "Layer manifest fetches, by gateway and outcome.");
  for (std::size_t g = 0; g < fetches_.size(); ++g)
    for (std::size_t o = 0; o < outcomes; ++o)
      sample(out, "ocipfs_gateway_fetches_total",
             "gateway=\"" + label_value(gateways_[g]) + "\",outcome=\"" + outcome_name(o) + "\"",
             fetches_[g][o].load(std::memory_order_relaxed));
  header(out, "ocipfs_gateway_fetch_duration_seconds", "histogram", "Time of one gateway fetch.");
  for (std::size_t g = 0; g < fetch_durations_.size(); ++g)
    fetch_durations_[g].render(out, "ocipfs_gateway_fetch_duration_seconds",
                               "gateway=\"" + label_value(gateways_[g]) + "\"");
  single(out, "ocipfs_gateway_hedges_total", "counter",
         "Fetches that also asked the next gateway: the first had not answered within "
         "--hedge-after.",
         hedges_started.load(std::memory_order_relaxed));
  single(out, "ocipfs_gateway_hedges_won_total", "counter",
         "Hedged fetches answered by the gateway asked last.",
         hedges_won.load(std::memory_order_relaxed));
  render_fetch_slots(out);
}

void Metrics::render_fetch_slots(std::string& out) const {
  single(out, "ocipfs_gateway_fetches_in_flight", "gauge",
         "Gateway fetches under way (at most --max-gateway-fetches).", fetches_in_flight.load());
  single(out, "ocipfs_gateway_fetches_waiting", "gauge",
         "Fetches waiting for one of the --max-gateway-fetches slots.", fetches_waiting.load());
  single(out, "ocipfs_gateway_fetches_refused_total", "counter",
         "Fetches answered 503: no slot was free before their deadline.", fetches_refused.load());
  single(out, "ocipfs_document_memory_bytes", "gauge",
         "Bytes of documents being fetched, parsed and composed (at most --document-memory).",
         document_memory_bytes.load());
  single(out, "ocipfs_document_memory_waiting", "gauge",
         "Documents waiting for room in --document-memory.", document_memory_waiting.load());
  single(out, "ocipfs_document_memory_refused_total", "counter",
         "Documents answered 503: --document-memory had no room before their deadline.",
         document_memory_refused.load());
  single(out, "ocipfs_log_warnings_suppressed_total", "counter",
         "Repeated warnings (gateway failures) held back: a line a second is logged.",
         warnings_suppressed.load());
}

namespace {

// One line per tier: the hot images and the verified documents ("manifests", as the label has
// always said).
void tiers(std::string& out, const char* name, std::uint64_t images, std::uint64_t documents) {
  sample(out, name, "tier=\"images\"", images);
  sample(out, name, "tier=\"manifests\"", documents);
}

void render_caches(std::string& out, const CacheStats& images, const CacheStats& documents) {
  header(out, "ocipfs_cache_hits_total", "counter", "Cache lookups that found an entry.");
  tiers(out, "ocipfs_cache_hits_total", images.hits, documents.hits);
  header(out, "ocipfs_cache_misses_total", "counter", "Cache lookups that found nothing.");
  tiers(out, "ocipfs_cache_misses_total", images.misses, documents.misses);
  header(out, "ocipfs_cache_entries", "gauge", "Entries in the cache.");
  tiers(out, "ocipfs_cache_entries", images.entries, documents.entries);
  header(out, "ocipfs_cache_bytes", "gauge", "Bytes held by the cache.");
  tiers(out, "ocipfs_cache_bytes", images.bytes, documents.bytes);
}

}  // namespace

std::string Metrics::render(const CacheStats& images, const CacheStats& documents) const {
  std::string out;
  out.reserve(16 * 1024);
  header(out, "ocipfs_build_info", "gauge", "Version of this ocipfsd.");
  sample(out, "ocipfs_build_info", "version=\"" OCIPFS_VERSION "\"", 1);
  render_requests(out);
  render_fetches(out);
  render_caches(out, images, documents);
  single(out, "ocipfs_requests_in_flight", "gauge", "Requests being answered now.",
         in_flight.load());
  single(out, "ocipfs_open_connections", "gauge", "Client connections open now.",
         connections.load());
  single(out, "ocipfs_connections_refused_total", "counter",
         "Client connections answered 503 and closed: --max-connections were open.",
         refused_connections.load());
  return out;
}

}  // namespace ocipfs
