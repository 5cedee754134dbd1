// The registry's answers under /v2/: from a routed request and the image its repository names,
// as plain data in and out.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string_view>

#include "ocipfs/exchange.hpp"
#include "ocipfs/redirect.hpp"
#include "ocipfs/resolver.hpp"
#include "ocipfs/route.hpp"

namespace ocipfs {

class Handler {
 public:
  // `redirect_gateway` is the public gateway base that layer downloads are sent to.
  Handler(Resolver& resolver, RedirectGateway redirect_gateway);

  // The answer when no waiting is needed (/v2/, referrers, cached images and errors): the fast
  // path, no coroutine. `route` is a registry route (names_repository, or base), of a GET or HEAD.
  std::optional<Response> answer_now(const Request& request, const Route& route);
  // The answer for a request answer_now could not give: resolves the image, then answers.
  boost::asio::awaitable<Response> answer_later(const Request& request, const Route& route);

 private:
  Resolver& resolver_;
  RedirectGateway redirect_gateway_;
};

// The pure parts, exposed for tests.

// True when a client with this Accept header takes an OCI image index.
bool accepts_index(std::string_view accept);
// True when a client with this Accept header takes `media_type` (listed, */*, application/*, or
// no Accept at all).
bool accepts(std::string_view accept, std::string_view media_type);

// The answer to a routed request for an image that resolved.
Response answer(const Route& route, const Request& request, const ImagePtr& image,
                const RedirectGateway& redirect_gateway);

// True when an If-None-Match value names `digest` (quoted or not, weak or not) or is "*".
bool matches_etag(std::string_view if_none_match, std::string_view digest);

}  // namespace ocipfs
