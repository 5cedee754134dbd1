// The operational endpoints, answered like any route: /healthz (the process runs), /readyz (it
// can serve; with the ready check, a gateway answered recently) and /metrics (Prometheus text).
#pragma once

#include <atomic>
#include <functional>

#include "ocipfs/http/exchange.hpp"
#include "ocipfs/http/route.hpp"
#include "ocipfs/server/config.hpp"

namespace ocipfs {

class GatewayHealth;
class Metrics;
class ResolverShared;

// Shared by all threads.
class Operations {
 public:
  // `probe` starts a check of the gateways when /readyz finds none that answered recently; it is
  // never called again before probe_done(). Everything must outlive the Operations.
  Operations(ReadinessConfig readiness, GatewayHealth& health, const Metrics& metrics,
             const ResolverShared& caches, std::function<void()> probe);

  // The answer for an operational route (is_operational(kind)) of a GET, or a HEAD (`head`).
  Response answer(RouteKind kind, bool head);
  void probe_done();

 private:
  Response readiness();

  ReadinessConfig readiness_;
  GatewayHealth& health_;
  const Metrics& metrics_;
  const ResolverShared& caches_;
  std::function<void()> probe_;
  std::atomic<bool> probing_{false};
};

}  // namespace ocipfs
