// The registry's request handling: routes, resolves and answers, as plain data in and out.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ocipfs/image.hpp"
#include "ocipfs/redirect.hpp"
#include "ocipfs/registry_error.hpp"
#include "ocipfs/route.hpp"

namespace ocipfs {

class Resolver;

struct Request {
  std::string_view method;  // as sent, e.g. "GET"
  std::string_view target;  // origin-form: path and query
  std::string_view accept;
};

struct Response {
  unsigned status = 200;
  std::string content_type;
  std::string body;
  std::uint64_t content_length = 0;  // what Content-Length says: on HEAD, the length GET would send
  bool head = false;                 // send the header only
  std::vector<std::pair<std::string, std::string>> headers;  // Docker-Content-Digest, Location, ...

  void add(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
  }
};

class Handler {
 public:
  // `redirect_gateway` is the public gateway base that layer downloads are sent to.
  Handler(Resolver& resolver, RedirectGateway redirect_gateway);

  boost::asio::awaitable<Response> handle(const Request& request);

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
                const Image& image, const RedirectGateway& redirect_gateway);

}  // namespace ocipfs
