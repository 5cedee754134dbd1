// An HTTP/1.1 client over Asio: one request and its answer per call, within a deadline and size
// caps, over TCP or TLS, on kept-alive connections when asked to keep them.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ocipfs/base/expected.hpp"
#include "ocipfs/http/url.hpp"

namespace ocipfs {

class CancelSignal;

struct HttpClientOptions {
  std::size_t max_header_size = 64 * 1024;
  std::size_t max_body_size = 1024 * 1024;  // of an answer
  // Idle connections kept per origin for the next request; 0: each request asks the server to
  // close its connection (Connection: close).
  std::size_t max_idle_per_origin = 0;
  std::chrono::seconds max_idle_age{30};  // an idle connection older than this is not reused
  std::string user_agent = "ocipfs";
  std::string ca_file;  // PEM certificates trusted besides the system's; loaded at construction
};

// A request body sent in pieces, of a length known before it is sent (its Content-Length).
struct BodySource {
  std::uint64_t size = 0;
  // The next piece, empty at the end; an error (a sentence) when the content cannot be read.
  std::function<Expected<std::string_view>()> next;
};

struct HttpRequest {
  std::string_view method = "GET";
  std::string_view target = "/";   // origin-form: the path and the query
  std::string_view accept;         // the Accept field, when not empty
  std::string_view cache_control;  // the Cache-Control field, when not empty
  std::string_view content_type;   // the Content-Type field of `body`
  std::string_view authorization;  // the Authorization field, when not empty: a secret, not logged
  std::string_view range;          // the Range field, when not empty
  BodySource* body = nullptr;      // none: no body (and no Content-Length)
  // The whole request ends by `deadline`, and, when `step_timeout` is not zero, each step of it
  // (the DNS lookup, connecting, the TLS handshake, each write and each read) within
  // `step_timeout`: a slow upload may then take longer than that, as long as it progresses.
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  std::chrono::milliseconds step_timeout{0};
  // False: a host that resolves to a loopback, link-local or unspecified address (is_local_host)
  // is refused, before connecting. An idle connection to the origin is reused all the same.
  bool allow_local = true;
  // Cancelling it (base/cancel_signal.hpp; it must outlive the call) closes the connection in use
  // at once; a DNS lookup under way is waited for (it keeps its deadline). A cancelled request
  // leaves no connection behind for reuse.
  CancelSignal* cancel = nullptr;
};

struct HttpResponse {
  unsigned status = 0;
  std::vector<std::pair<std::string, std::string>> fields;  // the header and trailer fields
  std::string body;

  // The value of the first field named `name` (in any case), or "".
  std::string_view field(std::string_view name) const;
};

// How a request failed: the step, and the error of the socket, TLS or HTTP parser in it.
struct HttpError {
  enum class Step {
    resolve,        // the DNS lookup
    local_address,  // the host is local and the request did not allow it (no code)
    connect,
    tls,        // the TLS handshake; no code when SNI could not be set (`detail` says so)
    write,      // sending the request
    body,       // the body source failed or changed its length (no code; `detail` says why)
    read,       // reading the answer
    cancelled,  // the CancelSignal fired (no code)
  };
  Step step = Step::connect;
  boost::system::error_code code;
  std::string detail;

  bool timed_out() const;  // the deadline or a step's timeout passed
  bool too_large() const;  // the answer's body was over max_body_size
  bool malformed() const;  // the answer was not valid HTTP (not merely cut short)
};

// An answer whose body is read as it comes (HttpClient::open), on a connection of its own that
// closes when the reader goes.
class HttpBodyReader {
 public:
  HttpBodyReader(HttpBodyReader&&) noexcept;
  HttpBodyReader& operator=(HttpBodyReader&&) noexcept;
  ~HttpBodyReader();

  // The status and the header fields (no body).
  const HttpResponse& head() const;
  // Reads the next bytes of the body into `into` (not empty): how many, 0 at the body's end.
  // Each read ends within the request's step_timeout (its deadline no longer counts: a long
  // body takes as long as it keeps coming); the request's CancelSignal closes the connection.
  boost::asio::awaitable<Expected<std::size_t, HttpError>> read(std::span<char> into);

 private:
  friend class HttpClient;
  struct State;
  explicit HttpBodyReader(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// One client per executor (it keeps its idle connections there); use it from that executor only.
class HttpClient {
 public:
  // Throws std::runtime_error, naming the file, when options.ca_file cannot be used.
  HttpClient(boost::asio::any_io_executor executor, HttpClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends `request` to `origin` (its scheme, host and port; not its path) and reads the answer,
  // whatever its status; interim answers (1xx) are skipped. An idle connection to the origin is
  // used when there is one; when that fails before the deadline (the server closed it meanwhile)
  // and the request has no body, once more on a new one. When writing a body fails, the server
  // may have answered early (and closed): an answer that is not a 2xx is then returned.
  boost::asio::awaitable<Expected<HttpResponse, HttpError>> request(const HttpUrl& origin,
                                                                    const HttpRequest& request);
  // Sends `request` (without a body) on a new connection and reads the head of the answer within
  // the request's deadline, whatever its status; the body is left to the reader. Interim answers
  // are skipped, as by request().
  boost::asio::awaitable<Expected<HttpBodyReader, HttpError>> open(const HttpUrl& origin,
                                                                   const HttpRequest& request);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ocipfs
