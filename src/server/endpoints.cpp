#include "ocipfs/server/endpoints.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <utility>
#include <variant>

#include "ocipfs/base/text.hpp"
#include "ocipfs/registry/handler.hpp"
#include "ocipfs/registry/pages.hpp"
#include "ocipfs/server/metrics.hpp"
#include "ocipfs/server/operations.hpp"

namespace ocipfs {

// A request being answered, counted in ocipfs_requests_in_flight while this lives.
class Endpoints::InFlight {
 public:
  explicit InFlight(std::atomic<std::int64_t>& count) : count_(&count) {
    count_->fetch_add(1, std::memory_order_relaxed);
  }
  InFlight(InFlight&& other) noexcept : count_(std::exchange(other.count_, nullptr)) {}
  InFlight& operator=(InFlight&&) = delete;
  ~InFlight() {
    if (count_) count_->fetch_sub(1, std::memory_order_relaxed);
  }

 private:
  std::atomic<std::int64_t>* count_;
};

namespace {

// Puts a cold answer in `out` as a copy: `out`'s strings keep the capacity they have grown to, so
// that the warm answers to come need not grow them again.
void give(Response& out, Response&& answer) { out.take(std::move(answer)); }

}  // namespace

Endpoints::Endpoints(Handler& registry, Pages& pages, Operations& operations, Metrics& metrics)
    : registry_(registry), pages_(pages), operations_(operations), metrics_(metrics) {}

Endpoints::Answered Endpoints::answer(const Request& request, Clock::time_point started,
                                      Response& out) {
  const RouteView route = split_route(request.path);
  if (!request.reads()) {
    give(out,
         error_response(unsupported("this registry is read-only: " + printable(request.method, 16) +
                                    " is not supported, only GET and HEAD"),
                        false));
    done(route.kind, out, started);
    return {};
  }
  if (registry_.answer_warm(route, request, out)) {
    metrics_.request_done(route.kind, out.status, Clock::duration::zero());
    return {std::nullopt, true};
  }
  return answer_cold(request, route, started, out);
}

// A GET or HEAD that no cached image answers warm: an operational endpoint, a refused route, or the
// registry's answer, now or once its image is fetched.
Endpoints::Answered Endpoints::answer_cold(const Request& request, const RouteView& route,
                                           Clock::time_point started, Response& out) {
  InFlight in_flight(metrics_.in_flight);
  try {
    std::variant<Response, boost::asio::awaitable<Response>> answer_of;
    if (is_operational(route.kind))
      answer_of = operations_.answer(route.kind, request.head());
    else if (route.kind == RouteKind::page)
      answer_of = pages_.answer(request);
    else if (auto checked = parse_route(route); !checked)
      answer_of = error_response(checked.error().error, request.head());
    else
      answer_of = registry_.answer(request, std::move(*checked));
    if (auto* later = std::get_if<boost::asio::awaitable<Response>>(&answer_of))
      return {
          answer_later(request, route.kind, std::move(*later), started, out, std::move(in_flight))};
    give(out, std::get<Response>(std::move(answer_of)));
  } catch (const std::exception& error) {
    give(out, failed(request, error));
  }
  done(route.kind, out, started);
  return {};
}

boost::asio::awaitable<void> Endpoints::answer_later(const Request& request, RouteKind kind,
                                                     boost::asio::awaitable<Response> answer,
                                                     Clock::time_point started, Response& out,
                                                     [[maybe_unused]] InFlight in_flight) {
  try {
    give(out, co_await std::move(answer));
  } catch (const std::exception& error) {
    give(out, failed(request, error));
  }
  done(kind, out, started);
}

void Endpoints::count_refused(const Request& request, unsigned status, Clock::duration latency) {
  metrics_.request_done(split_route(request.path).kind, status, latency);
}

// Counted before the answer leaves, so a client that reads /metrics next sees it.
void Endpoints::done(RouteKind kind, const Response& out, Clock::time_point started) {
  metrics_.request_done(kind, out.status, Clock::now() - started);
}

Response Endpoints::failed(const Request& request, const std::exception& error) {
  spdlog::error("internal error on {} {}: {}", printable(request.method, 16),
                printable(request.path, 512), error.what());
  return error_response(internal_error(), request.head());
}

}  // namespace ocipfs
