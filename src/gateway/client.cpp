#include "ocipfs/gateway/client.hpp"

#include <sys/socket.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cerrno>
#include <map>
#include <optional>
#include <stdexcept>
#include <variant>
#include <vector>

#include "ocipfs/base/asio_tokens.hpp"
#include "ocipfs/base/cancel_signal.hpp"
#include "ocipfs/base/text.hpp"
#include "ocipfs/http/dns.hpp"

namespace ocipfs {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

namespace {

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

struct Connection {
  std::variant<beast::tcp_stream, TlsStream> stream;
  Clock::time_point idle_since{};

  beast::tcp_stream& tcp() {
    if (auto* plain = std::get_if<beast::tcp_stream>(&stream)) return *plain;
    return beast::get_lowest_layer(std::get<TlsStream>(stream));
  }
};

FetchFailure failure(FetchFault fault, std::string message, unsigned status = 0) {
  return {fault, std::move(message), status, std::chrono::seconds{0}};
}

FetchFailure io_failure(const error_code& ec, const HttpUrl& url, std::string_view step,
                        std::chrono::milliseconds timeout) {
  if (is_local_resource_error(ec))
    return failure(FetchFault::local_resources, "ocipfsd is short of resources to reach " +
                                                    url.origin() + " (" + ec.message() + ")");
  if (ec == beast::error::timeout || ec == asio::error::operation_aborted)
    return failure(FetchFault::timeout,
                   url.origin() + " did not answer within " + duration_text(timeout));
  if (ec == http::error::body_limit)
    return failure(FetchFault::too_large, url.origin() + " sent a response over the size limit");
  if (ec.category() == http::make_error_code(http::error::bad_version).category() &&
      ec != http::error::end_of_stream && ec != http::error::partial_message)
    return failure(FetchFault::garbage,
                   url.origin() + " sent an invalid HTTP response (" + ec.message() + ")");
  return failure(FetchFault::unreachable,
                 url.origin() + " failed during " + std::string(step) + ": " + ec.message());
}

std::chrono::seconds parse_retry_after(std::string_view value) {
  unsigned long seconds = 0;
  if (value.empty() || value.size() > 9) return std::chrono::seconds{0};
  for (char c : value) {
    if (c < '0' || c > '9') return std::chrono::seconds{0};
    seconds = seconds * 10 + static_cast<unsigned long>(c - '0');
  }
  return std::chrono::seconds{seconds};
}

bool cancelled(const CancelSignal* cancel) { return cancel && cancel->cancelled(); }

FetchFailure cancelled_failure(const HttpUrl& url) {
  return failure(FetchFault::unreachable, url.origin() + ": the fetch was cancelled");
}

// While it lives, cancelling `cancel` (if any) runs `stop`.
class StopHook {
 public:
  StopHook(CancelSignal* cancel, std::function<void()> stop) : cancel_(cancel) {
    if (cancel_) cancel_->on_cancel(std::move(stop));
  }
  ~StopHook() {
    if (cancel_) cancel_->clear();
  }
  StopHook(const StopHook&) = delete;
  StopHook& operator=(const StopHook&) = delete;

 private:
  CancelSignal* cancel_;
};

// True when the socket is open and has nothing to read: a peek that would block.
bool is_quiet(tcp::socket& socket) {
  char byte = 0;
  ssize_t peeked = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return peeked < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

bool is_redirect(unsigned status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

}  // namespace

struct GatewayClient::Impl {
  asio::any_io_executor executor;
  GatewayClientOptions options;
  std::optional<asio::ssl::context> tls;  // made at the first https connection
  std::map<std::string, std::vector<std::unique_ptr<Connection>>> idle;

  Impl(asio::any_io_executor ex, GatewayClientOptions opts)
      : executor(std::move(ex)), options(std::move(opts)) {
    if (!options.ca_file.empty()) tls_context();  // a bad file is a start-up error
  }

  // Loading the system trust store takes milliseconds: only when https is used, so that an
  // http-only deployment starts at once.
  asio::ssl::context& tls_context() {
    if (!tls) {
      tls.emplace(asio::ssl::context::tls_client);
      tls->set_default_verify_paths();
      if (!options.ca_file.empty()) {
        error_code ec;
        tls->load_verify_file(options.ca_file, ec);
        if (ec) {
          tls.reset();
          throw std::runtime_error("--gateway-ca-file=" + options.ca_file +
                                   ": no PEM certificates could be read (" + ec.message() + ")");
        }
      }
      tls->set_verify_mode(asio::ssl::verify_peer);
      tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                       asio::ssl::context::no_tlsv1_1);
    }
    return *tls;
  }

  static std::string pool_key(const HttpUrl& url) { return url.origin(); }

  // A kept-alive connection is reused only when young enough and clean: nothing waits on it and
  // the gateway has not closed it. Bytes nobody asked for (a 408 before closing, a second answer)
  // would be read as the next request's answer: such a connection is closed, never read from.
  std::unique_ptr<Connection> take_idle(const HttpUrl& url) {
    auto it = idle.find(pool_key(url));
    if (it == idle.end()) return nullptr;
    auto& connections = it->second;
    while (!connections.empty()) {
      auto connection = std::move(connections.back());
      connections.pop_back();
      bool young = Clock::now() - connection->idle_since < options.max_idle_age;
      if (young && is_quiet(connection->tcp().socket())) return connection;
    }
    return nullptr;
  }

  void give_back(const HttpUrl& url, std::unique_ptr<Connection> connection) {
    auto& connections = idle[pool_key(url)];
    if (connections.size() >= options.max_idle_per_origin) return;
    connection->tcp().expires_never();
    connection->idle_since = Clock::now();
    connections.push_back(std::move(connection));
  }

  // Asio's range connect reports a socket that could not be opened (EMFILE, ENFILE) as
  // operation_aborted: opening one tells why, if it still cannot be.
  error_code socket_open_error(const tcp& protocol) {
    tcp::socket probe(executor);
    error_code ec;
    probe.open(protocol, ec);
    return ec ? ec : asio::error::operation_aborted;
  }

  asio::awaitable<Expected<tcp::resolver::results_type, FetchFailure>> resolve(
      const HttpUrl& url, Clock::time_point deadline) {
    auto found = co_await lookup_with_deadline(executor, url.host, url.port, deadline);
    if (found) co_return std::move(*found);
    if (found.error() == asio::error::timed_out)
      co_return Unexpected{failure(
          FetchFault::timeout,
          url.origin() + " could not be resolved within " + duration_text(options.timeout))};
    co_return Unexpected{failure(FetchFault::unreachable, "cannot resolve " + url.origin() + ": " +
                                                              found.error().message())};
  }

  asio::awaitable<Expected<std::unique_ptr<Connection>, FetchFailure>> connect(
      const HttpUrl& url, Clock::time_point deadline, CancelSignal* cancel, bool allow_local) {
    auto endpoints = co_await resolve(url, deadline);
    if (!endpoints) co_return Unexpected{std::move(endpoints).error()};
    if (!allow_local)
      for (const auto& entry : *endpoints)
        if (is_local_host(entry.endpoint().address().to_string()))
          co_return Unexpected{failure(FetchFault::bad_redirect,
                                       url.origin() + " is a loopback or link-local address")};
    if (cancelled(cancel)) co_return Unexpected{cancelled_failure(url)};

    beast::tcp_stream tcp_stream(executor);
    tcp_stream.expires_at(deadline);
    error_code connect_error;
    {
      StopHook hook(cancel, [&tcp_stream] { tcp_stream.close(); });
      auto [ec, endpoint] = co_await tcp_stream.async_connect(*endpoints, use_tuple);
      connect_error = ec;
    }
    if (cancelled(cancel)) co_return Unexpected{cancelled_failure(url)};
    if (connect_error == asio::error::operation_aborted && Clock::now() < deadline)
      connect_error = socket_open_error(endpoints->begin()->endpoint().protocol());
    if (connect_error)
      co_return Unexpected{io_failure(connect_error, url, "connect", options.timeout)};
    tcp_stream.socket().set_option(tcp::no_delay(true));

    if (!url.https) {
      co_return std::make_unique<Connection>(Connection{std::move(tcp_stream)});
    }
    co_return co_await handshake(url, std::move(tcp_stream), cancel);
  }

  asio::awaitable<Expected<std::unique_ptr<Connection>, FetchFailure>> handshake(
      const HttpUrl& url, beast::tcp_stream tcp_stream, CancelSignal* cancel) {
    TlsStream tls_stream(std::move(tcp_stream), tls_context());
    error_code ec;
    asio::ip::make_address(url.host, ec);
    if (ec && !SSL_set_tlsext_host_name(tls_stream.native_handle(), url.host.c_str()))
      co_return Unexpected{failure(FetchFault::unreachable, url.origin() + ": cannot set TLS SNI")};
    tls_stream.set_verify_callback(asio::ssl::host_name_verification(url.host));
    error_code handshake_error;
    {
      StopHook hook(cancel, [&tls_stream] { beast::get_lowest_layer(tls_stream).close(); });
      auto [failed] =
          co_await tls_stream.async_handshake(asio::ssl::stream_base::client, use_tuple);
      handshake_error = failed;
    }
    if (cancelled(cancel)) co_return Unexpected{cancelled_failure(url)};
    if (handshake_error)
      co_return Unexpected{io_failure(handshake_error, url, "the TLS handshake", options.timeout)};
    co_return std::make_unique<Connection>(Connection{std::move(tls_stream)});
  }

  using Parser = http::response_parser<http::string_body>;

  // Interim answers (100 Continue, 103 Early Hints) may come before the real one (RFC 9110
  // 15.2): at most this many are skipped.
  static constexpr int max_interim_answers = 8;

  template <class Stream>
  asio::awaitable<error_code> write_and_read(Stream& stream,
                                             const http::request<http::empty_body>& request,
                                             beast::flat_buffer& buffer,
                                             std::optional<Parser>& parser) {
    auto [write_error, written] = co_await http::async_write(stream, request, use_tuple);
    if (write_error) co_return write_error;
    for (int interim = 0;; ++interim) {
      parser.emplace();
      parser->header_limit(static_cast<std::uint32_t>(options.max_header_size));
      parser->body_limit(options.max_body_size);
      auto [read_error, read] = co_await http::async_read(stream, buffer, *parser, use_tuple);
      if (read_error) co_return read_error;
      unsigned status = parser->get().result_int();
      bool skippable = status >= 100 && status < 200 && status != 101;
      if (!skippable || interim == max_interim_answers) co_return error_code{};
    }
  }

  struct Exchange {
    http::response<http::string_body> response;
    bool reusable = false;
  };

  asio::awaitable<Expected<Exchange, error_code>> exchange(
      Connection& connection, const http::request<http::empty_body>& request,
      Clock::time_point deadline, CancelSignal* cancel) {
    connection.tcp().expires_at(deadline);
    std::optional<Parser> parser;
    beast::flat_buffer buffer(options.max_header_size + options.max_body_size);
    error_code ec;
    StopHook hook(cancel, [&connection] { connection.tcp().close(); });
    if (auto* plain = std::get_if<beast::tcp_stream>(&connection.stream)) {
      ec = co_await write_and_read(*plain, request, buffer, parser);
    } else {
      ec = co_await write_and_read(std::get<TlsStream>(connection.stream), request, buffer, parser);
    }
    if (ec) co_return Unexpected{ec};
    Exchange out;
    out.reusable = parser->keep_alive() && buffer.size() == 0;
    out.response = parser->release();
    co_return out;
  }

  // One request and its answer, on a kept-alive connection when there is one. A kept-alive
  // connection may have been closed by the gateway meanwhile: then once more on a new one.
  asio::awaitable<Expected<Exchange, FetchFailure>> round_trip(
      const HttpUrl& url, const http::request<http::empty_body>& request,
      Clock::time_point deadline, CancelSignal* cancel, bool allow_local) {
    std::unique_ptr<Connection> connection = take_idle(url);
    for (int attempt = 0;; ++attempt) {
      bool reused = connection != nullptr;
      if (!connection) {
        auto connected = co_await connect(url, deadline, cancel, allow_local);
        if (!connected) co_return Unexpected{std::move(connected).error()};
        connection = std::move(*connected);
      }
      auto result = co_await exchange(*connection, request, deadline, cancel);
      if (cancelled(cancel)) co_return Unexpected{cancelled_failure(url)};
      if (result) {
        if (result->reusable) give_back(url, std::move(connection));
        co_return std::move(*result);
      }
      connection.reset();
      auto ec = result.error();
      bool stale = reused && ec != beast::error::timeout && Clock::now() < deadline;
      if (!stale || attempt > 0)
        co_return Unexpected{io_failure(ec, url, "the exchange", options.timeout)};
    }
  }

  http::request<http::empty_body> request_for(const HttpUrl& url, const std::string& accept) const {
    http::request<http::empty_body> request{http::verb::get, url.path, 11};
    request.set(http::field::host, url.origin().substr(url.https ? 8 : 7));
    request.set(http::field::user_agent, options.user_agent);
    if (!accept.empty()) request.set(http::field::accept, accept);
    request.keep_alive(true);
    return request;
  }

  // Where a redirect leads, or why it may not be followed.
  Expected<HttpUrl, FetchFailure> redirect_target(const HttpUrl& url,
                                                  const http::response<http::string_body>& response,
                                                  unsigned redirects) const {
    unsigned status = response.result_int();
    auto location = response[http::field::location];
    if (location.empty())
      return Unexpected{failure(FetchFault::garbage,
                                url.origin() + " sent a redirect without a Location", status)};
    if (redirects >= options.max_redirects)
      return Unexpected{failure(FetchFault::bad_redirect,
                                url.origin() + " redirected more than " +
                                    std::to_string(options.max_redirects) + " times",
                                status)};
    auto next = resolve_location(url, location);
    if (!next)
      return Unexpected{
          failure(FetchFault::bad_redirect,
                  url.origin() + " redirected to an unusable location: " + next.error(), status)};
    return std::move(*next);
  }

  static FetchFailure status_failure(const HttpUrl& url,
                                     const http::response<http::string_body>& response) {
    unsigned status = response.result_int();
    std::string what = url.origin() + " answered " + std::to_string(status);
    if (status == 404 || status == 410) return failure(FetchFault::not_found, what, status);
    if (status != 429) return failure(FetchFault::bad_status, what, status);
    auto limited = failure(FetchFault::rate_limited, what + " (rate limited)", status);
    limited.retry_after = parse_retry_after(response[http::field::retry_after]);
    return limited;
  }

  // After a redirect, a failure names the gateway and how the fetch failed, never where it was
  // redirected to nor what connecting there said: a gateway must not probe ports through
  // ocipfsd. The log keeps the detail.
  static FetchFailure redirected_failure(const HttpUrl& gateway, FetchFailure failure) {
    failure.detail = std::move(failure.message);
    failure.message = gateway.origin() + " redirected to a location that failed (" +
                      std::string(fault_label(failure.fault)) + ")";
    return failure;
  }

  asio::awaitable<Expected<FetchResponse, FetchFailure>> get(HttpUrl url, std::string accept,
                                                             CancelSignal* cancel) {
    const auto deadline = Clock::now() + options.timeout;
    const HttpUrl gateway = url;
    const bool gateway_is_local = is_local_host(gateway.host);
    for (unsigned redirects = 0;; ++redirects) {
      auto failed = [&](FetchFailure failure) {
        return Unexpected{redirects == 0 ? std::move(failure)
                                         : redirected_failure(gateway, std::move(failure))};
      };
      bool allow_local = redirects == 0 || gateway_is_local;
      auto exchanged =
          co_await round_trip(url, request_for(url, accept), deadline, cancel, allow_local);
      if (!exchanged) co_return failed(std::move(exchanged).error());
      auto& response = exchanged->response;
      unsigned status = response.result_int();
      if (status >= 200 && status < 300)
        co_return FetchResponse{status, std::move(response.body()),
                                std::string(response[http::field::content_type])};
      if (!is_redirect(status)) co_return failed(status_failure(url, response));
      auto next = redirect_target(url, response, redirects);
      if (!next) co_return Unexpected{std::move(next).error()};  // about the gateway's own answer
      url = std::move(*next);
    }
  }
};

GatewayClient::GatewayClient(asio::any_io_executor executor, GatewayClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(executor), std::move(options))) {}

GatewayClient::~GatewayClient() = default;

asio::awaitable<Expected<FetchResponse, FetchFailure>> GatewayClient::get(HttpUrl url,
                                                                          std::string accept,
                                                                          CancelSignal* cancel) {
  return impl_->get(std::move(url), std::move(accept), cancel);
}

}  // namespace ocipfs
