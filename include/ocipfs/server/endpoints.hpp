// Every path the server answers, by route kind: the registry under /v2/ and the operational
// endpoints. Methods other than GET and HEAD are refused here, for every path.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <optional>

#include "ocipfs/base/expected.hpp"
#include "ocipfs/http/exchange.hpp"
#include "ocipfs/http/route.hpp"

namespace ocipfs {

class Handler;
class Operations;

// One per thread, like its Handler.
class Endpoints {
 public:
  Endpoints(Handler& registry, Operations& operations);

  // The warm answer into `out` (Handler::answer_warm) for a GET or HEAD: its route's kind, or
  // nullopt for answer_now to decide.
  std::optional<RouteKind> answer_warm(const Request& request, Response& out);
  // The answer when no waiting is needed; nullopt for a route whose image must be fetched first.
  std::optional<Response> answer_now(const Request& request,
                                     const Expected<Route, RouteError>& route);
  // The answer for what answer_now left: a registry route with an uncached image.
  boost::asio::awaitable<Response> answer_later(const Request& request, const Route& route);

 private:
  Handler& registry_;
  Operations& operations_;
};

}  // namespace ocipfs
