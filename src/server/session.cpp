#include "session.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>

#include "ocipfs/base/asio_tokens.hpp"
#include "ocipfs/base/log.hpp"
#include "ocipfs/base/text.hpp"
#include "ocipfs/http/exchange.hpp"
#include "ocipfs/http/request_head.hpp"
#include "ocipfs/http/route.hpp"
#include "ocipfs/server/config.hpp"
#include "ocipfs/server/endpoints.hpp"
#include "ocipfs/server/metrics.hpp"
#include "ocipfs/server/tls.hpp"

namespace ocipfs {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = ConnectionList::Clock;
using boost::system::error_code;

namespace {

using Parser = http::request_parser<http::empty_body>;
using TlsStream = beast::ssl_stream<tcp::socket>;

// Answers are a few KiB: a client that never reads holds this much kernel memory at most, until
// --request-timeout closes it (Linux doubles the value for bookkeeping).
constexpr int send_buffer_bytes = 64 * 1024;
// A streamed answer (a proxied layer) gets this much send buffer: a write of a window of it then
// goes out while the next window is read, instead of in rounds the client acknowledges.
constexpr int stream_send_buffer_bytes = 1024 * 1024;
// An idle connection holds this much buffer; a longer header grows it on demand.
constexpr std::size_t first_read_size = 1024;

// One connection's state, registered with its thread's list while it lives. `Stream` is the
// socket itself, or TlsStream over it; `extra` is what the stream takes besides the socket.
template <class Stream>
struct Connection {
  template <class... Extra>
  Connection(tcp::socket socket, SessionContext& context, Extra&... extra)
      : stream(std::move(socket), extra...),
        buffer(context.limits.max_header_size),
        context(context) {
    error_code ignored;
    remote_ip = this->socket().remote_endpoint(ignored).address().to_string();
    this->socket().set_option(tcp::no_delay(true), ignored);
    this->socket().set_option(asio::socket_base::send_buffer_size(send_buffer_bytes), ignored);
    // Answers are written at once when the socket takes them (send), else asynchronously.
    this->socket().non_blocking(true, ignored);
    context.metrics.connections.fetch_add(1, std::memory_order_relaxed);
    context.connections.open.push_front({&this->socket()});
    entry = context.connections.open.begin();
    expire_at(Clock::now() + context.limits.idle_timeout);
  }
  ~Connection() {
    context.connections.open.erase(entry);
    context.metrics.connections.fetch_sub(1, std::memory_order_relaxed);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  tcp::socket& socket() { return beast::get_lowest_layer(stream); }
  void expire_at(Clock::time_point deadline) { entry->deadline = deadline; }
  std::string_view buffered() const {
    auto data = buffer.data();
    return {static_cast<const char*>(data.data()), data.size()};
  }

  Stream stream;
  beast::flat_buffer buffer;
  std::string head;  // the answer's serialized head, reused between requests
  Response answer;   // reused between requests, its strings keeping their capacity
  std::string remote_ip;
  SessionContext& context;
  std::list<ConnectionList::Entry>::iterator entry;
};

// Reads what the client sent next into the buffer, under the deadline set before. False when the
// connection ends (closed, cut off, or the buffer is full).
template <class Stream>
asio::awaitable<bool> read_more(Connection<Stream>& c) {
  std::size_t room = c.buffer.max_size() - c.buffer.size();
  if (room == 0) co_return false;
  auto [ec, n] = co_await c.stream.async_read_some(
      c.buffer.prepare(std::min(room, first_read_size)), use_tuple);
  if (ec) co_return false;
  c.buffer.commit(n);
  co_return true;
}

// What a write at once left of an answer: the bytes the socket did not take (`size` of them), or
// nothing, having sent it all or failed.
struct Unsent {
  std::array<asio::const_buffer, 2> rest{};
  std::size_t size = 0;
  bool failed = false;
};

// Writes `first` then `second` as far as a plain socket takes them at once: all of the usual
// answer of a few KiB (its head and payload), without a coroutine frame. Over TLS, everything is
// left to write_rest.
template <class Stream>
Unsent write_at_once(Connection<Stream>& c, std::string_view first, std::string_view second) {
  std::array<asio::const_buffer, 2> buffers{asio::buffer(first), asio::buffer(second)};
  std::size_t total = first.size() + second.size();
  if constexpr (std::is_same_v<Stream, TlsStream>) {
    return {buffers, total};
  } else {
    error_code ec;
    std::size_t sent = c.socket().write_some(buffers, ec);
    if (ec && ec != asio::error::would_block) return {{}, 0, true};
    if (sent == total) return {};
    std::size_t first_sent = std::min(sent, first.size());
    std::array<asio::const_buffer, 2> rest{asio::buffer(first.substr(first_sent)),
                                           asio::buffer(second.substr(sent - first_sent))};
    return {rest, total - sent};
  }
}

// async_write's default hands the socket at most 64 KiB per call, each a round through the
// event loop; this hands it all that is left.
std::size_t all_left(const error_code& ec, std::size_t) {
  return ec ? 0 : std::numeric_limits<std::size_t>::max();
}

// Writes what write_at_once left under the deadline set before (over TLS, one record for an
// answer up to 16 KiB, as Beast's ssl_stream joins small buffers). False when it failed.
template <class Stream>
asio::awaitable<bool> write_rest(Connection<Stream>& c, Unsent unsent) {
  if (unsent.size == 0) co_return !unsent.failed;
  auto [write_error, written] =
      co_await asio::async_write(c.stream, unsent.rest, all_left, use_tuple);
  co_return !write_error;
}

Persistence persistence_of(bool keep_alive, unsigned version) {
  return !keep_alive     ? Persistence::close
         : version == 10 ? Persistence::keep_alive_1_0
                         : Persistence::keep_alive_1_1;
}

void log_answer(AccessRecord record, const Response& response, std::string_view payload) {
  record.status = response.status;
  record.response_size =
      response.stream && !response.head ? response.content_length : payload.size();
  log_access(record);
}

// Writes `response` as far as the socket takes it at once, and logs it.
template <class Stream>
Unsent start_reply(Connection<Stream>& c, const Response& response, Persistence persistence,
                   AccessRecord record) {
  auto payload = response.head ? std::string_view() : response.payload();
  serialize_head(response, persistence, c.head);
  Unsent unsent = write_at_once(c, c.head, payload);
  log_answer(record, response, payload);
  return unsent;
}

// Writes `response` and logs it. The deadline covers the write. False when the write failed.
template <class Stream>
asio::awaitable<bool> reply(Connection<Stream>& c, const Response& response,
                            Persistence persistence, AccessRecord record) {
  co_return co_await write_rest(c, start_reply(c, response, persistence, record));
}

// Ends the connection at once with a reset, so that the client sees a failed transfer, never a
// clean end of a short body.
template <class Stream>
void abort_connection(Connection<Stream>& c) {
  error_code ignored;
  c.socket().set_option(asio::socket_base::linger(true, 0), ignored);
  c.socket().close(ignored);
}

// Writes the pieces of a streamed body as they come, each write under --request-timeout (a
// client that reads no more is cut off). False when the connection cannot go on.
template <class Stream>
asio::awaitable<bool> write_stream(Connection<Stream>& c, BodyStream& body) {
  error_code ignored;
  c.socket().set_option(asio::socket_base::send_buffer_size(stream_send_buffer_bytes), ignored);
  for (;;) {
    c.expire_at(Clock::time_point::max());  // the gateways have deadlines of their own
    auto piece = co_await body.next();
    if (!piece) {
      spdlog::warn("{}: the answer was cut off: {}", c.remote_ip, piece.error());
      abort_connection(c);
      co_return false;
    }
    if (piece->empty()) co_return true;
    c.expire_at(Clock::now() + c.context.limits.request_timeout);
    if (!co_await write_rest(c, write_at_once(c, *piece, {}))) co_return false;
  }
}

// Every value of a header that may be sent on several lines, joined with ", " (RFC 9110 5.3).
std::string joined_field(const http::fields& fields, http::field name) {
  std::string out;
  auto [begin, end] = fields.equal_range(name);
  for (auto it = begin; it != end; ++it) {
    if (!out.empty()) out += ", ";
    out += it->value();
  }
  return out;
}

Response bad_request(unsigned status, std::string message) {
  return error_response({status, ErrorCode::unsupported, std::move(message)}, false);
}

// Why a header could not be read: the answer that refuses it, or nullopt to close in silence
// (the client went away or was cut off).
std::optional<Response> refusal_for(const error_code& ec, const Parser& parser) {
  if (ec == http::error::header_limit)
    // The parser keeps the request line once it is complete: without it, that line was over.
    return parser.get().target().empty() ? bad_request(414, "request line too long")
                                         : bad_request(431, "request header too large");
  bool malformed = ec.category() == http::make_error_code(http::error::bad_target).category() &&
                   ec != http::error::end_of_stream && ec != http::error::partial_message;
  if (malformed) return bad_request(400, "malformed HTTP request");
  return std::nullopt;
}

// Answers a request through the endpoints and writes the answer. `started` is when its head was
// read. False when the connection must close after it.
template <class Stream>
asio::awaitable<bool> answer(Connection<Stream>& c, const Request& request, bool keep_alive,
                             unsigned version, AccessRecord record, Clock::time_point started) {
  const auto& limits = c.context.limits;
  auto answered = c.context.endpoints.answer(request, started, c.answer);
  if (answered.later) {
    c.expire_at(Clock::time_point::max());  // the gateways have deadlines of their own
    co_await std::move(*answered.later);
  }
  // A warm answer reads the clock once, at `started`.
  auto ready = answered.warm ? started : Clock::now();
  record.latency = ready - started;
  c.expire_at(ready + limits.request_timeout);
  // Written without another coroutine frame when the socket takes it at once.
  Unsent unsent = start_reply(c, c.answer, persistence_of(keep_alive, version), record);
  bool written = unsent.size == 0 ? !unsent.failed : co_await write_rest(c, unsent);
  if (written && c.answer.stream && !c.answer.head)
    written = co_await write_stream(c, *c.answer.stream);
  c.answer.reset();  // lets go of the image it was made of, which may hold document memory
  c.expire_at((answered.warm ? started : Clock::now()) + limits.idle_timeout);
  co_return written&& keep_alive;
}

// Writes the answer to a request whose head was refused, then the connection closes.
template <class Stream>
asio::awaitable<void> refuse(Connection<Stream>& c, const Request& request, const Response& refusal,
                             AccessRecord record, Clock::time_point started) {
  auto now = Clock::now();
  record.latency = now - started;
  c.context.endpoints.count_refused(request, refusal.status, record.latency);
  c.expire_at(now + c.context.limits.request_timeout);
  co_await reply(c, refusal, Persistence::close, record);
}

// Reads into `parser` the head of a request the fast scan could not take, from the bytes buffered
// then from the socket, under the deadline set before. The whole head counts toward
// max_header_size: Beast's own limit counts only what it holds unparsed, and it takes each
// complete field line as it comes.
template <class Stream>
asio::awaitable<error_code> read_parsed_head(Connection<Stream>& c, Parser& parser) {
  const std::size_t limit = c.context.limits.max_header_size;
  parser.header_limit(static_cast<std::uint32_t>(limit));
  std::size_t parsed = 0;  // bytes of the head the parser has taken
  for (;;) {
    if (c.buffer.size() > 0) {
      error_code ec;
      std::size_t used = parser.put(c.buffer.data(), ec);
      c.buffer.consume(used);
      parsed += used;
      if (parser.is_header_done()) co_return error_code();
      if (ec && ec != http::error::need_more) co_return ec;
    }
    if (parsed + c.buffer.size() >= limit) co_return http::error::header_limit;
    if (!co_await read_more(c)) co_return http::error::partial_message;
  }
}

// Whether the request has a body, which is never read: any Transfer-Encoding, or a Content-Length
// above 0.
bool has_body(const Parser& parser) {
  return parser.get().count(http::field::transfer_encoding) > 0 ||
         (parser.content_length() && *parser.content_length() > 0);
}

// A Transfer-Encoding must end in chunked, on HTTP/1.1, without Content-Length: else the body's
// end is unknown (RFC 9112 6.1 and 6.3).
bool transfer_encoding_is_faulty(const http::request_header<>& header) {
  if (header.count(http::field::transfer_encoding) == 0) return false;
  return header.version() != 11 || header.count(http::field::content_length) > 0 ||
         !chunked_is_final(joined_field(header, http::field::transfer_encoding));
}

// What a parsed head decides before any route: its refusal (the connection then closes), else
// whether the connection persists after the answer.
struct HeadVerdict {
  std::optional<Response> refusal;
  bool keep_alive = false;
};

HeadVerdict judge_parsed_head(const Parser& parser, bool reads) {
  const auto& header = parser.get();
  if (static_cast<std::size_t>(std::distance(header.begin(), header.end())) > max_request_fields)
    return {bad_request(431, "too many request header fields"), false};
  auto [host, no_host] = header.equal_range(http::field::host);
  if (!host_is_valid(header.version(), static_cast<std::size_t>(std::distance(host, no_host)),
                     host == no_host ? std::string_view() : std::string_view(host->value())))
    return {bad_request(400, "a request needs one valid Host field"), false};
  if (transfer_encoding_is_faulty(header))
    return {bad_request(400,
                        "Transfer-Encoding must end in chunked, on HTTP/1.1, without "
                        "Content-Length"),
            false};
  bool body = has_body(parser);
  if (body && reads) return {bad_request(400, "GET and HEAD requests must not have a body"), false};
  ConnectionOptions options;
  auto [line, end] = header.equal_range(http::field::connection);
  for (; line != end; ++line)
    if (!add_connection_options(line->value(), options))
      return {bad_request(400, "malformed Connection field"), false};
  return {std::nullopt, !body && connection_persists(header.version(), options)};
}

// A request the fast scan could not take, read by Beast's parser (from the bytes buffered).
template <class Stream>
asio::awaitable<bool> serve_parsed(Connection<Stream>& c) {
  Parser parser;
  const bool tls = std::is_same_v<Stream, tcp::socket> && starts_like_tls_handshake(c.buffered());
  c.expire_at(Clock::now() + c.context.limits.request_timeout);
  auto read_error = co_await read_parsed_head(c, parser);
  auto started = Clock::now();
  if (read_error) {
    if (auto refusal = refusal_for(read_error, parser)) {
      c.expire_at(started + c.context.limits.request_timeout);
      AccessRecord record{"-", "-",         0,  0,  {},
                          {},  c.remote_ip, {}, {}, tls ? tls_on_plain_port : std::string_view()};
      co_await reply(c, *refusal, Persistence::close, record);
    }
    co_return false;
  }
  const auto& header = parser.get();
  std::string accept = joined_field(header, http::field::accept);
  std::string if_none_match = joined_field(header, http::field::if_none_match);
  std::string range = joined_field(header, http::field::range);
  std::string if_range = joined_field(header, http::field::if_range);
  RequestTarget target = split_target(header.target());
  Request request{header.method_string(),    target.path, target.query, accept, if_none_match,
                  header[http::field::host], range,       if_range};
  auto verdict = judge_parsed_head(parser, request.reads());
  bool keep_alive = verdict.keep_alive && !c.context.connections.draining;
  AccessRecord record{header.method_string(),
                      header.target(),
                      0,
                      0,
                      {},
                      header[http::field::user_agent],
                      c.remote_ip,
                      header["X-Cloud-Trace-Context"],
                      header["traceparent"],
                      {}};
  if (verdict.refusal) {
    co_await refuse(c, request, *verdict.refusal, record, started);
    co_return false;
  }
  co_return co_await answer(c, request, keep_alive, header.version(), record, started);
}

// The request the fast scan took, as views into the buffer.
Request request_of(const RequestHead& head) {
  RequestTarget target = split_target(head.target);
  return {head.method,        target.path, target.query, head.accept,
          head.if_none_match, head.host,   {},           {}};
}

AccessRecord record_of(const RequestHead& head, std::string_view remote_ip) {
  return {.method = head.method,
          .url = head.target,
          .user_agent = head.user_agent,
          .remote_ip = remote_ip,
          .cloud_trace_context = head.cloud_trace_context,
          .traceparent = head.traceparent,
          .what = {}};
}

// Reads, answers and writes the next request. False when the connection must close after it.
template <class Stream>
asio::awaitable<bool> serve_next(Connection<Stream>& c) {
  const auto limit = c.context.limits.max_header_size;
  bool timed = false;
  for (;;) {
    c.buffer.consume(empty_lines_before_request(c.buffered()));
    RequestHead head;
    auto scan = scan_request_head(c.buffered(), limit, head);
    if (scan == HeadScan::complete) {
      auto started = Clock::now();  // the one clock reading of a warm request
      bool keep_alive = head.keep_alive && !c.context.connections.draining;
      Request request = request_of(head);
      bool again = co_await answer(c, request, keep_alive, head.version,
                                   record_of(head, c.remote_ip), started);
      c.buffer.consume(head.size);  // the views of `head` and `request` end here
      co_return again;
    }
    if (scan == HeadScan::declined) co_return co_await serve_parsed(c);
    // Counted from the first bytes of the request, however they trickle in.
    if (!std::exchange(timed, true)) c.expire_at(Clock::now() + c.context.limits.request_timeout);
    if (!co_await read_more(c)) co_return false;
  }
}

}  // namespace

void ConnectionList::drain() {
  draining = true;
  // A socket that a deadline has just cut off stays listed until its coroutine runs: cancelling
  // it is a harmless error.
  error_code ignored;
  for (auto& connection : open)
    if (!connection.busy) connection.socket->cancel(ignored);
}

void ConnectionList::expire(Clock::time_point now) {
  error_code ignored;
  for (auto& connection : open)
    if (connection.deadline <= now) {
      connection.deadline = Clock::time_point::max();
      connection.socket->cancel(ignored);
    }
}

std::chrono::milliseconds sweep_interval(const LimitsConfig& limits) {
  auto shorter = std::min(limits.idle_timeout, limits.request_timeout);
  return std::clamp(shorter / 4, std::chrono::milliseconds(10), std::chrono::milliseconds(1000));
}

asio::awaitable<void> sweep_connections(ConnectionList& connections,
                                        std::chrono::milliseconds interval) {
  asio::steady_timer tick(co_await asio::this_coro::executor);
  for (;;) {
    tick.expires_after(interval);
    co_await tick.async_wait(use_tuple);
    connections.expire(Clock::now());
  }
}

namespace {

// Serves requests until the client closes, a deadline passes, an answer closes, or the thread
// drains.
template <class Stream>
asio::awaitable<void> serve_requests(Connection<Stream>& c) {
  while (!c.context.connections.draining) {
    // Waits for a request's first bytes under the idle deadline; pipelined ones are buffered.
    if (c.buffer.size() == 0 && !co_await read_more(c)) break;
    c.entry->busy = true;
    bool again = co_await serve_next(c);
    c.entry->busy = false;
    if (!again) break;
  }
}

HandshakeFailure failure_of(const error_code& ec) {
  if (ec == asio::error::operation_aborted) return HandshakeFailure::timed_out;
  if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated ||
      ec == asio::error::connection_reset || ec == asio::error::broken_pipe)
    return HandshakeFailure::closed;
  return HandshakeFailure::refused;
}

// Plain HTTP on the TLS port: a 400 in plain HTTP saying so, then the connection closes.
asio::awaitable<void> refuse_plain_http(Connection<TlsStream>& c) {
  Response refusal = bad_request(400, "this port speaks HTTPS: use https://");
  serialize_head(refusal, Persistence::close, c.head);
  c.head += refusal.body;
  co_await asio::async_write(c.socket(), asio::buffer(c.head), use_tuple);
  AccessRecord record{"-", "-", 0, 0, {}, {}, c.remote_ip, {}, {}, plain_http_on_tls_port};
  log_answer(record, refusal, refusal.body);
  c.context.metrics.handshake_failed(HandshakeFailure::plain_http);
}

// The TLS handshake, under --request-timeout from the connection's start. The client's first
// bytes are read first: plain HTTP is told to use https. A failure is counted by its reason and
// logged (at debug when the client was cut off or went away). Whether it succeeded.
asio::awaitable<bool> handshake(Connection<TlsStream>& c) {
  c.expire_at(Clock::now() + c.context.limits.request_timeout);
  auto [read_error, read] =
      co_await c.socket().async_read_some(c.buffer.prepare(first_read_size), use_tuple);
  c.buffer.commit(read);
  if (!read_error && !starts_like_tls_handshake(c.buffered())) {
    co_await refuse_plain_http(c);
    co_return false;
  }
  error_code ec = read_error;
  if (!ec)
    std::tie(ec, read) = co_await c.stream.async_handshake(asio::ssl::stream_base::server,
                                                           c.buffer.data(), use_tuple);
  c.buffer.consume(c.buffer.size());
  if (!ec) {
    c.context.metrics.tls_handshakes.fetch_add(1, std::memory_order_relaxed);
    c.expire_at(Clock::now() + c.context.limits.idle_timeout);
    co_return true;
  }
  auto why = failure_of(ec);
  c.context.metrics.handshake_failed(why);
  if (why == HandshakeFailure::refused)
    spdlog::info("TLS handshake with {} refused: {}", c.remote_ip, ec.message());
  else
    spdlog::debug("TLS handshake with {} {}", c.remote_ip,
                  why == HandshakeFailure::timed_out ? "cut off by --request-timeout"
                                                     : "ended by the client");
  co_return false;
}

// Sends close_notify without waiting for the client's, under --request-timeout.
asio::awaitable<void> close_tls(Connection<TlsStream>& c) {
  SSL_set_shutdown(c.stream.native_handle(), SSL_RECEIVED_SHUTDOWN);
  c.expire_at(Clock::now() + c.context.limits.request_timeout);
  co_await c.stream.async_shutdown(use_tuple);
}

asio::awaitable<void> run_tls_session(tcp::socket socket, SessionContext& context) {
  auto credentials = context.tls->current();  // kept while the connection lives
  Connection<TlsStream> c(std::move(socket), context, *credentials);
  if (co_await handshake(c)) {
    co_await serve_requests(c);
    co_await close_tls(c);
  }
  error_code ignored;
  c.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace

asio::awaitable<void> run_session(tcp::socket socket, SessionContext& context) {
  if (context.tls) {
    co_await run_tls_session(std::move(socket), context);
    co_return;
  }
  Connection<tcp::socket> c(std::move(socket), context);
  co_await serve_requests(c);
  error_code ignored;
  c.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace ocipfs
