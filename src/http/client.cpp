#include "ocipfs/http/client.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cerrno>
#include <map>
#include <optional>
#include <stdexcept>
#include <variant>

#include "ocipfs/base/asio_tokens.hpp"
#include "ocipfs/base/cancel_signal.hpp"
#include "ocipfs/http/dns.hpp"

namespace ocipfs {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;
using Step = HttpError::Step;

namespace {

using TlsStream = beast::ssl_stream<beast::tcp_stream>;
using Head = http::request<http::empty_body>;
using Parser = http::response_parser<http::string_body>;

struct Connection {
  std::variant<beast::tcp_stream, TlsStream> stream;
  Clock::time_point idle_since{};

  beast::tcp_stream& tcp() {
    if (auto* plain = std::get_if<beast::tcp_stream>(&stream)) return *plain;
    return beast::get_lowest_layer(std::get<TlsStream>(stream));
  }
};

HttpError failed(Step step, error_code code = {}, std::string detail = {}) {
  return {step, code, std::move(detail)};
}

bool cancelled(const CancelSignal* cancel) { return cancel && cancel->cancelled(); }

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

// The end of the request's next step: its deadline, or sooner its step timeout.
Clock::time_point step_end(const HttpRequest& request) {
  if (request.step_timeout <= std::chrono::milliseconds::zero()) return request.deadline;
  return std::min(request.deadline, Clock::now() + request.step_timeout);
}

template <class Body>
HttpResponse head_of_answer(const http::response<Body>& message) {
  HttpResponse out;
  out.status = message.result_int();
  for (const auto& field : message) out.fields.emplace_back(field.name_string(), field.value());
  return out;
}

HttpResponse response_of(http::response<http::string_body> message) {
  HttpResponse out = head_of_answer(message);
  out.body = std::move(message.body());
  return out;
}

// Interim answers (100 Continue, 103 Early Hints) may come before the real one (RFC 9110
// 15.2): at most this many are skipped.
constexpr int max_interim_answers = 8;

bool is_interim(unsigned status) { return status >= 100 && status < 200 && status != 101; }

}  // namespace

struct HttpBodyReader::State {
  using Parser = http::response_parser<http::buffer_body>;

  std::unique_ptr<Connection> connection;
  beast::flat_buffer buffer;
  std::optional<Parser> parser;
  HttpResponse head;
  std::chrono::milliseconds step_timeout{0};
  CancelSignal* cancel = nullptr;
  // With a Content-Length, the body's bytes not read yet: they are read straight from the socket
  // into the caller's memory (after those the head's read left in `buffer`), past the parser.
  std::optional<std::uint64_t> unread;

  // Reads the head of the answer, skipping interim ones, each read within the request's step.
  template <class Stream>
  asio::awaitable<error_code> read_head(Stream& stream, const HttpRequest& request,
                                        std::size_t max_header_size) {
    for (int interim = 0;; ++interim) {
      parser.emplace();
      parser->header_limit(static_cast<std::uint32_t>(max_header_size));
      parser->body_limit(boost::none);  // the reader's caller bounds what it takes
      connection->tcp().expires_at(step_end(request));
      auto [ec, read] = co_await http::async_read_header(stream, buffer, *parser, use_tuple);
      if (ec) co_return ec;
      if (!is_interim(parser->get().result_int()) || interim == max_interim_answers) break;
    }
    head = head_of_answer(parser->get());
    if (!parser->chunked() && parser->content_length()) unread = *parser->content_length();
    co_return error_code{};
  }

  // Reads body bytes of a known length into `into`: what the head's read left first.
  template <class Stream>
  asio::awaitable<Expected<std::size_t, HttpError>> read_direct(Stream& stream,
                                                                std::span<char> into) {
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(into.size(), *unread));
    if (want == 0) co_return 0;
    std::size_t got = asio::buffer_copy(asio::buffer(into.data(), want), buffer.data());
    if (got > 0) {
      buffer.consume(got);
    } else {
      connection->tcp().expires_after(step_timeout);
      auto [ec, read] = co_await stream.async_read_some(asio::buffer(into.data(), want), use_tuple);
      if (ec == asio::error::eof) ec = http::error::partial_message;
      if (ec) co_return Unexpected{failed(cancelled(cancel) ? Step::cancelled : Step::read, ec)};
      got = read;
    }
    *unread -= got;
    co_return got;
  }

  template <class Stream>
  asio::awaitable<Expected<std::size_t, HttpError>> read_into(Stream& stream,
                                                              std::span<char> into) {
    if (unread) co_return co_await read_direct(stream, into);
    auto& body = parser->get().body();
    body.data = into.data();
    body.size = into.size();
    for (;;) {
      connection->tcp().expires_after(step_timeout);
      auto [ec, read] = co_await http::async_read_some(stream, buffer, *parser, use_tuple);
      if (ec == http::error::need_buffer) ec = {};
      if (ec) co_return Unexpected{failed(cancelled(cancel) ? Step::cancelled : Step::read, ec)};
      std::size_t got = into.size() - body.size;
      if (got > 0 || parser->is_done()) co_return got;
    }
  }
};

HttpBodyReader::HttpBodyReader(std::unique_ptr<State> state) : state_(std::move(state)) {}
HttpBodyReader::HttpBodyReader(HttpBodyReader&&) noexcept = default;
HttpBodyReader& HttpBodyReader::operator=(HttpBodyReader&&) noexcept = default;
HttpBodyReader::~HttpBodyReader() = default;

const HttpResponse& HttpBodyReader::head() const { return state_->head; }

asio::awaitable<Expected<std::size_t, HttpError>> HttpBodyReader::read(std::span<char> into) {
  State& state = *state_;
  if (into.empty() || (!state.unread && state.parser->is_done())) co_return 0;
  if (cancelled(state.cancel)) co_return Unexpected{failed(Step::cancelled)};
  Connection& connection = *state.connection;
  StopHook hook(state.cancel, [&connection] { connection.tcp().close(); });
  if (auto* plain = std::get_if<beast::tcp_stream>(&connection.stream))
    co_return co_await state.read_into(*plain, into);
  co_return co_await state.read_into(std::get<TlsStream>(connection.stream), into);
}

bool HttpError::timed_out() const {
  return code == beast::error::timeout || code == asio::error::operation_aborted;
}

bool HttpError::too_large() const { return code == http::error::body_limit; }

bool HttpError::malformed() const {
  return code.category() == http::make_error_code(http::error::bad_version).category() &&
         code != http::error::end_of_stream && code != http::error::partial_message;
}

std::string_view HttpResponse::field(std::string_view name) const {
  for (const auto& [key, value] : fields)
    if (beast::iequals(key, name)) return value;
  return {};
}

struct HttpClient::Impl {
  asio::any_io_executor executor;
  HttpClientOptions options;
  std::optional<asio::ssl::context> tls;  // made at the first https connection
  std::map<std::string, std::vector<std::unique_ptr<Connection>>> idle;

  Impl(asio::any_io_executor ex, HttpClientOptions opts)
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
          throw std::runtime_error(options.ca_file + ": no PEM certificates could be read (" +
                                   ec.message() + ")");
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
  // the server has not closed it. Bytes nobody asked for (a 408 before closing, a second answer)
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

  asio::awaitable<Expected<tcp::resolver::results_type, HttpError>> resolve(
      const HttpUrl& url, const HttpRequest& request) {
    auto found = co_await lookup_with_deadline(executor, url.host, url.port, step_end(request));
    if (!found) {
      error_code ec = found.error();
      if (ec == asio::error::timed_out) ec = beast::error::timeout;
      co_return Unexpected{failed(Step::resolve, ec)};
    }
    if (!request.allow_local)
      for (const auto& entry : *found)
        if (is_local_host(entry.endpoint().address().to_string()))
          co_return Unexpected{failed(Step::local_address)};
    co_return std::move(*found);
  }

  asio::awaitable<Expected<std::unique_ptr<Connection>, HttpError>> connect(
      const HttpUrl& url, const HttpRequest& request) {
    auto endpoints = co_await resolve(url, request);
    if (!endpoints) co_return Unexpected{std::move(endpoints).error()};
    if (cancelled(request.cancel)) co_return Unexpected{failed(Step::cancelled)};

    beast::tcp_stream tcp_stream(executor);
    const auto until = step_end(request);
    tcp_stream.expires_at(until);
    error_code connect_error;
    {
      StopHook hook(request.cancel, [&tcp_stream] { tcp_stream.close(); });
      auto [ec, endpoint] = co_await tcp_stream.async_connect(*endpoints, use_tuple);
      connect_error = ec;
    }
    if (cancelled(request.cancel)) co_return Unexpected{failed(Step::cancelled)};
    if (connect_error == asio::error::operation_aborted && Clock::now() < until)
      connect_error = socket_open_error(endpoints->begin()->endpoint().protocol());
    if (connect_error) co_return Unexpected{failed(Step::connect, connect_error)};
    tcp_stream.socket().set_option(tcp::no_delay(true));

    if (!url.https) co_return std::make_unique<Connection>(Connection{std::move(tcp_stream)});
    co_return co_await handshake(url, std::move(tcp_stream), request);
  }

  asio::awaitable<Expected<std::unique_ptr<Connection>, HttpError>> handshake(
      const HttpUrl& url, beast::tcp_stream tcp_stream, const HttpRequest& request) {
    TlsStream tls_stream(std::move(tcp_stream), tls_context());
    error_code ec;
    asio::ip::make_address(url.host, ec);
    if (ec && !SSL_set_tlsext_host_name(tls_stream.native_handle(), url.host.c_str()))
      co_return Unexpected{failed(Step::tls, {}, "cannot set TLS SNI")};
    tls_stream.set_verify_callback(asio::ssl::host_name_verification(url.host));
    beast::get_lowest_layer(tls_stream).expires_at(step_end(request));
    error_code handshake_error;
    {
      StopHook hook(request.cancel, [&tls_stream] { beast::get_lowest_layer(tls_stream).close(); });
      auto [failure] =
          co_await tls_stream.async_handshake(asio::ssl::stream_base::client, use_tuple);
      handshake_error = failure;
    }
    if (cancelled(request.cancel)) co_return Unexpected{failed(Step::cancelled)};
    if (handshake_error) co_return Unexpected{failed(Step::tls, handshake_error)};
    co_return std::make_unique<Connection>(Connection{std::move(tls_stream)});
  }

  Head head_of(const HttpUrl& url, const HttpRequest& request) const {
    Head head;
    head.method_string(request.method);
    head.target(request.target);
    head.version(11);
    head.set(http::field::host, url.origin().substr(url.https ? 8 : 7));
    head.set(http::field::user_agent, options.user_agent);
    if (!request.accept.empty()) head.set(http::field::accept, request.accept);
    if (!request.cache_control.empty()) head.set(http::field::cache_control, request.cache_control);
    if (!request.authorization.empty()) head.set(http::field::authorization, request.authorization);
    if (!request.range.empty()) head.set(http::field::range, request.range);
    if (request.body) {
      head.set(http::field::content_type, request.content_type);
      head.content_length(request.body->size);
    }
    head.keep_alive(options.max_idle_per_origin > 0);
    return head;
  }

  // Writes the head, then the body piece by piece, each write within its step.
  template <class Stream>
  asio::awaitable<Expected<bool, HttpError>> send(Stream& stream, beast::tcp_stream& tcp,
                                                  const Head& head, const HttpRequest& request) {
    tcp.expires_at(step_end(request));
    auto [head_error, head_written] = co_await http::async_write(stream, head, use_tuple);
    if (head_error) co_return Unexpected{failed(Step::write, head_error)};
    if (!request.body) co_return true;
    std::uint64_t sent = 0;
    for (;;) {
      auto piece = request.body->next();
      if (!piece) co_return Unexpected{failed(Step::body, {}, std::move(piece).error())};
      if (piece->empty()) break;
      sent += piece->size();
      if (sent > request.body->size) break;
      tcp.expires_at(step_end(request));
      auto [ec, written] = co_await asio::async_write(stream, asio::buffer(*piece), use_tuple);
      if (ec) co_return Unexpected{failed(Step::write, ec)};
    }
    if (sent != request.body->size)
      co_return Unexpected{failed(Step::body, {}, "the body changed length while it was sent")};
    co_return true;
  }

  // Reads the answer into `parser`, each read within its step.
  template <class Stream>
  asio::awaitable<error_code> receive(Stream& stream, beast::tcp_stream& tcp,
                                      const HttpRequest& request, beast::flat_buffer& buffer,
                                      std::optional<Parser>& parser) {
    for (int interim = 0;; ++interim) {
      parser.emplace();
      parser->skip(request.method == "HEAD");  // an answer to HEAD has no body (RFC 9110 9.3.2)
      parser->header_limit(static_cast<std::uint32_t>(options.max_header_size));
      parser->body_limit(options.max_body_size);
      while (!parser->is_done()) {
        tcp.expires_at(step_end(request));
        auto [ec, read] = co_await http::async_read_some(stream, buffer, *parser, use_tuple);
        if (ec) co_return ec;
      }
      if (!is_interim(parser->get().result_int()) || interim == max_interim_answers)
        co_return error_code{};
    }
  }

  // Sends the request and reads the answer into `parser`: true when the whole request was sent.
  // A server may answer before it has read the whole body (an error) and close the connection
  // under the write: that answer, when it is not a 2xx, says more than the broken pipe.
  template <class Stream>
  asio::awaitable<Expected<bool, HttpError>> write_and_read(Stream& stream, beast::tcp_stream& tcp,
                                                            const Head& head,
                                                            const HttpRequest& request,
                                                            beast::flat_buffer& buffer,
                                                            std::optional<Parser>& parser) {
    auto sent = co_await send(stream, tcp, head, request);
    if (sent) {
      auto read_error = co_await receive(stream, tcp, request, buffer, parser);
      if (read_error) co_return Unexpected{failed(Step::read, read_error)};
      co_return true;
    }
    HttpError write_error = std::move(sent).error();
    if (!request.body || write_error.step != Step::write || write_error.timed_out())
      co_return Unexpected{std::move(write_error)};
    auto read_error = co_await receive(stream, tcp, request, buffer, parser);
    if (read_error || parser->get().result_int() / 100 == 2)
      co_return Unexpected{std::move(write_error)};
    co_return false;
  }

  struct Exchange {
    HttpResponse response;
    bool reusable = false;
  };

  asio::awaitable<Expected<Exchange, HttpError>> exchange(Connection& connection, const Head& head,
                                                          const HttpRequest& request) {
    std::optional<Parser> parser;
    beast::flat_buffer buffer(options.max_header_size + options.max_body_size);
    Expected<bool, HttpError> complete = false;
    StopHook hook(request.cancel, [&connection] { connection.tcp().close(); });
    if (auto* plain = std::get_if<beast::tcp_stream>(&connection.stream)) {
      complete = co_await write_and_read(*plain, *plain, head, request, buffer, parser);
    } else {
      complete = co_await write_and_read(std::get<TlsStream>(connection.stream), connection.tcp(),
                                         head, request, buffer, parser);
    }
    if (!complete) co_return Unexpected{std::move(complete).error()};
    Exchange out;
    out.reusable = *complete && parser->keep_alive() && buffer.size() == 0;
    out.response = response_of(parser->release());
    co_return out;
  }

  asio::awaitable<Expected<HttpResponse, HttpError>> request(const HttpUrl& url,
                                                             const HttpRequest& request) {
    const Head head = head_of(url, request);
    std::unique_ptr<Connection> connection = take_idle(url);
    for (int attempt = 0;; ++attempt) {
      bool reused = connection != nullptr;
      if (!connection) {
        auto connected = co_await connect(url, request);
        if (!connected) co_return Unexpected{std::move(connected).error()};
        connection = std::move(*connected);
      }
      auto result = co_await exchange(*connection, head, request);
      if (cancelled(request.cancel)) co_return Unexpected{failed(Step::cancelled)};
      if (result) {
        if (result->reusable) give_back(url, std::move(connection));
        co_return std::move(result->response);
      }
      connection.reset();
      // A kept-alive connection may have been closed by the server meanwhile. A body cannot be
      // read twice.
      bool stale = reused && !request.body && result.error().code != beast::error::timeout &&
                   Clock::now() < request.deadline;
      if (!stale || attempt > 0) co_return Unexpected{std::move(result).error()};
    }
  }

  // Sends the head of `request` on a new connection and reads the head of its answer.
  asio::awaitable<Expected<HttpBodyReader, HttpError>> open(const HttpUrl& url,
                                                            const HttpRequest& request) {
    Head head = head_of(url, request);
    head.keep_alive(false);
    auto connected = co_await connect(url, request);
    if (!connected) co_return Unexpected{std::move(connected).error()};
    auto state = std::make_unique<HttpBodyReader::State>();
    state->connection = std::move(*connected);
    state->step_timeout = request.step_timeout > std::chrono::milliseconds::zero()
                              ? request.step_timeout
                              : std::chrono::duration_cast<std::chrono::milliseconds>(
                                    request.deadline - Clock::now());
    state->cancel = request.cancel;
    Connection& connection = *state->connection;
    StopHook hook(request.cancel, [&connection] { connection.tcp().close(); });
    Expected<bool, HttpError> sent = true;
    error_code read_error;
    if (auto* plain = std::get_if<beast::tcp_stream>(&connection.stream)) {
      sent = co_await send(*plain, *plain, head, request);
      if (sent) read_error = co_await state->read_head(*plain, request, options.max_header_size);
    } else {
      auto& tls_stream = std::get<TlsStream>(connection.stream);
      sent = co_await send(tls_stream, connection.tcp(), head, request);
      if (sent)
        read_error = co_await state->read_head(tls_stream, request, options.max_header_size);
    }
    if (cancelled(request.cancel)) co_return Unexpected{failed(Step::cancelled)};
    if (!sent) co_return Unexpected{std::move(sent).error()};
    if (read_error) co_return Unexpected{failed(Step::read, read_error)};
    co_return HttpBodyReader(std::move(state));
  }
};

HttpClient::HttpClient(asio::any_io_executor executor, HttpClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(executor), std::move(options))) {}

HttpClient::~HttpClient() = default;

asio::awaitable<Expected<HttpResponse, HttpError>> HttpClient::request(const HttpUrl& origin,
                                                                       const HttpRequest& request) {
  return impl_->request(origin, request);
}

asio::awaitable<Expected<HttpBodyReader, HttpError>> HttpClient::open(const HttpUrl& origin,
                                                                      const HttpRequest& request) {
  return impl_->open(origin, request);
}

}  // namespace ocipfs
