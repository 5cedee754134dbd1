// The registry's request handling: routes, resolves and answers, as plain data in and out.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ocipfs/image.hpp"
#include "ocipfs/redirect.hpp"
#include "ocipfs/registry_error.hpp"
#include "ocipfs/resolver.hpp"
#include "ocipfs/route.hpp"

namespace ocipfs {

struct Request {
  std::string_view method;         // as sent, e.g. "GET"
  std::string_view target;         // origin-form: path and query
  std::string_view accept;         // every Accept line, joined with ", "
  std::string_view if_none_match;  // every If-None-Match line, joined with ", "
};

// Cache-Control for answers derived from a CID: the same forever, for any cache.
inline constexpr std::string_view immutable_cache_control = "public, max-age=31536000, immutable";

struct Response {
  unsigned status = 200;
  std::string content_type;
  std::string body;                        // bytes of its own, or:
  std::shared_ptr<const void> body_owner;  // keeps `shared_body` alive (a cached image)
  std::string_view shared_body;            // prebuilt bytes sent as they are
  std::uint64_t content_length = 0;  // what Content-Length says: on HEAD, the length GET would send
  bool head = false;                 // send the header only
  std::vector<std::pair<std::string, std::string>> headers;  // Docker-Content-Digest, Location, ...

  std::string_view payload() const { return body_owner ? shared_body : std::string_view(body); }

  void add(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
  }
};

class Handler {
 public:
  // `redirect_gateway` is the public gateway base that layer downloads are sent to.
  Handler(Resolver& resolver, RedirectGateway redirect_gateway);

  // answer_now, else answer_later.
  boost::asio::awaitable<Response> handle(const Request& request);
  // The answer when no waiting is needed (errors, cached images): the fast path, no coroutine.
  std::optional<Response> answer_now(const Request& request);
  // The answer for a request answer_now could not give: resolves the image, then answers.
  boost::asio::awaitable<Response> answer_later(const Request& request);

 private:
  Resolver& resolver_;
  RedirectGateway redirect_gateway_;
};

// The pure parts, exposed for tests.

// An OCI error answer.
Response error_response(const RegistryError& error, bool head);

// True when a client with this Accept header takes an OCI image index.
bool accepts_index(std::string_view accept);

// The answer to a routed request for an image that resolved.
Response answer(const Route& route, const Request& request, std::string_view query,
                const ImagePtr& image, const RedirectGateway& redirect_gateway);

// True when an If-None-Match value names `digest` (quoted or not, weak or not) or is "*".
bool matches_etag(std::string_view if_none_match, std::string_view digest);

}  // namespace ocipfs
