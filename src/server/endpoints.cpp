#include "ocipfs/server/endpoints.hpp"

#include "ocipfs/base/text.hpp"
#include "ocipfs/registry/handler.hpp"
#include "ocipfs/server/operations.hpp"

namespace ocipfs {

Endpoints::Endpoints(Handler& registry, Operations& operations)
    : registry_(registry), operations_(operations) {}

std::optional<RouteKind> Endpoints::answer_warm(const Request& request, Response& out) {
  if (!request.reads()) return std::nullopt;
  return registry_.answer_warm(request, out);
}

std::optional<Response> Endpoints::answer_now(const Request& request,
                                              const Expected<Route, RouteError>& route) {
  RouteKind kind = route ? route->kind : route.error().kind;
  if (is_operational(kind)) return operations_.answer(request, kind);
  if (!request.reads())
    return error_response(
        unsupported("this registry is read-only: " + printable(request.method, 16) +
                    " is not supported, only GET and HEAD"),
        false);
  if (!route) return error_response(route.error().error, request.head());
  return registry_.answer_now(request, *route);
}

boost::asio::awaitable<Response> Endpoints::answer_later(const Request& request,
                                                         const Route& route) {
  return registry_.answer_later(request, route);
}

}  // namespace ocipfs
