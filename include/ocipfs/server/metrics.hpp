// Counters and histograms for /metrics (Prometheus text format): lock-free, shared by all threads.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "ocipfs/base/prometheus.hpp"
#include "ocipfs/cache/lru_cache.hpp"
#include "ocipfs/gateway/fetch_metrics.hpp"
#include "ocipfs/gateway/transfer_metrics.hpp"
#include "ocipfs/http/route.hpp"

namespace ocipfs {

// Why a TLS handshake failed: plain HTTP sent to the TLS port; its deadline passed; the client
// closed the connection; the client or OpenSSL refused it (no common version or cipher, an
// untrusted certificate, bytes that are not TLS).
enum class HandshakeFailure { plain_http, timed_out, closed, refused };
inline constexpr std::size_t handshake_failure_count = 4;

class Metrics {
 public:
  explicit Metrics(std::vector<std::string> gateways);

  // A request answered; its label is its route's ("health" for /healthz and /readyz, "other"
  // for unknown paths).
  void request_done(RouteKind route, unsigned status, std::chrono::nanoseconds duration);
  void handshake_failed(HandshakeFailure why);

  std::atomic<std::int64_t> in_flight{0};
  std::atomic<std::int64_t> connections{0};
  std::atomic<std::uint64_t> refused_connections{0};      // over --max-connections
  std::atomic<std::uint64_t> tls_handshakes{0};           // completed, with --tls-cert
  std::atomic<std::int64_t> document_memory_bytes{0};     // leased of --document-memory
  std::atomic<std::int64_t> document_memory_waiting{0};   // documents waiting for room
  std::atomic<std::uint64_t> document_memory_refused{0};  // ... that waited past their deadline
  FetchMetrics fetches;                                   // the gateway fetcher's
  TransferMetrics transfers;                              // layers through ocipfsd's

  // The whole exposition. `images` is the image cache's current figures.
  std::string render(const CacheStats& images) const;

 private:
  static constexpr std::array<unsigned, 15> statuses = {200, 206, 302, 304, 400, 404, 405, 414,
                                                        416, 431, 500, 502, 503, 504, 0};
  static std::size_t status_index(unsigned status);
  static constexpr std::size_t route_labels = 9;
  void render_requests(std::string& out) const;
  void render_document_memory(std::string& out) const;
  void render_tls(std::string& out) const;

  std::array<std::array<std::atomic<std::uint64_t>, statuses.size()>, route_labels> requests_{};
  std::array<prometheus::Histogram, route_labels> durations_{};
  std::array<std::atomic<std::uint64_t>, handshake_failure_count> handshake_failures_{};
};

}  // namespace ocipfs
