// An async HTTP(S) client for IPFS gateways: deadlines, size caps, redirects, kept-alive
// connections.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "ocipfs/expected.hpp"
#include "ocipfs/http_url.hpp"

namespace ocipfs {

struct GatewayClientOptions {
  std::chrono::milliseconds timeout{30'000};  // for a whole fetch: resolve, connect, TLS, I/O
  std::size_t max_body_size = 1024 * 1024;
  std::size_t max_header_size = 64 * 1024;
  unsigned max_redirects = 5;
  std::size_t max_idle_per_origin = 16;
  std::chrono::seconds max_idle_age{30};
  std::string user_agent = "ocipfsd";
  std::string ca_file;  // PEM certificates trusted besides the system's; loaded at construction
};

enum class FetchFault {
  not_found,     // 404 or 410
  rate_limited,  // 429
  bad_status,    // any other non-2xx answer
  timeout,       // the deadline passed
  unreachable,   // DNS, connect or TLS failed, or the connection broke
  garbage,       // not HTTP, or a broken HTTP message
  too_large,     // the body is over the cap
  bad_redirect,  // too many redirects, or to somewhere that is not http(s)
};

struct FetchFailure {
  FetchFault fault = FetchFault::unreachable;
  std::string message;  // what happened, naming the URL's origin, never the path's secrets
  unsigned status = 0;  // the HTTP status, when there was one
  std::chrono::seconds retry_after{0};
};

struct FetchResponse {
  unsigned status = 200;
  std::string body;
  std::string content_type;
};

// One client per executor (it keeps its idle connections there); use it from that executor only.
class GatewayClient {
 public:
  // Throws std::runtime_error when options.ca_file cannot be used.
  GatewayClient(boost::asio::any_io_executor executor, GatewayClientOptions options);
  ~GatewayClient();
  GatewayClient(const GatewayClient&) = delete;
  GatewayClient& operator=(const GatewayClient&) = delete;

  // GETs `url`, following redirects, within options.timeout. Only a 2xx answer is a response.
  boost::asio::awaitable<Expected<FetchResponse, FetchFailure>> get(HttpUrl url,
                                                                    std::string accept = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ocipfs
