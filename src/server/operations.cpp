#include "ocipfs/server/operations.hpp"

#include "ocipfs/cache/caching_resolver.hpp"
#include "ocipfs/gateway/health.hpp"
#include "ocipfs/server/metrics.hpp"

namespace ocipfs {

Operations::Operations(ReadinessConfig readiness, GatewayHealth& health, const Metrics& metrics,
                       const ResolverShared& caches, std::function<void()> probe)
    : readiness_(readiness),
      health_(health),
      metrics_(metrics),
      caches_(caches),
      probe_(std::move(probe)) {}

void Operations::probe_done() { probing_ = false; }

Response Operations::readiness() {
  bool ready = !readiness_.check ||
               health_.answered_since(std::chrono::steady_clock::now() - readiness_.window);
  if (!ready && !probing_.exchange(true)) probe_();
  Response response = text_response(ready ? "ready\n" : "not ready: no gateway answered recently\n",
                                    "text/plain; charset=utf-8", false);
  response.status = ready ? 200 : 503;
  return response;
}

Response Operations::answer(RouteKind kind, bool head) {
  Response response;
  if (kind == RouteKind::healthz) {
    response = text_response("ok\n", "text/plain; charset=utf-8", false);
  } else if (kind == RouteKind::readyz) {
    response = readiness();
  } else {
    response = text_response(metrics_.render(caches_.images.stats()),
                             "text/plain; version=0.0.4; charset=utf-8", false);
  }
  response.head = head;
  response.add("Cache-Control", "no-store");
  return response;
}

}  // namespace ocipfs
