#include "session.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <optional>
#include <string>

#include "asio_tokens.hpp"
#include "ocipfs/config.hpp"
#include "ocipfs/endpoints.hpp"
#include "ocipfs/exchange.hpp"
#include "ocipfs/log.hpp"
#include "ocipfs/metrics.hpp"
#include "ocipfs/route.hpp"
#include "ocipfs/text.hpp"

namespace ocipfs {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

namespace {

using Parser = http::request_parser<http::empty_body>;

// Answers are a few KiB: a client that never reads holds this much kernel memory at most, until
// --request-timeout closes it (Linux doubles the value for bookkeeping).
constexpr int send_buffer_bytes = 64 * 1024;
// An idle connection holds this much buffer; a longer header grows it on demand.
constexpr std::size_t first_read_size = 1024;

// One connection's state, registered with its thread's list while it lives.
struct Connection {
  Connection(tcp::socket socket, SessionContext& context)
      : stream(std::move(socket)), buffer(context.limits.max_header_size), context(context) {
    error_code ignored;
    auto& raw = stream.socket();
    remote_ip = raw.remote_endpoint(ignored).address().to_string();
    raw.set_option(tcp::no_delay(true), ignored);
    raw.set_option(asio::socket_base::send_buffer_size(send_buffer_bytes), ignored);
    context.metrics.connections.fetch_add(1, std::memory_order_relaxed);
    context.connections.open.push_front({&raw});
    entry = context.connections.open.begin();
  }
  ~Connection() {
    context.connections.open.erase(entry);
    context.metrics.connections.fetch_sub(1, std::memory_order_relaxed);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  beast::tcp_stream stream;
  beast::flat_buffer buffer;
  std::string head;  // the answer's serialized head, reused between requests
  std::string remote_ip;
  SessionContext& context;
  std::list<ConnectionList::Entry>::iterator entry;
};

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

// Waits for a request's first bytes, at most the idle timeout. False when the connection ends.
asio::awaitable<bool> await_request(Connection& c) {
  if (c.buffer.size() > 0) co_return true;  // pipelined
  c.stream.expires_after(c.context.limits.idle_timeout);
  auto [ec, n] = co_await c.stream.async_read_some(c.buffer.prepare(first_read_size), use_tuple);
  if (ec) co_return false;
  c.buffer.commit(n);
  co_return true;
}

// Why a header could not be read: the answer that refuses it, or nullopt to close in silence
// (the client went away or timed out).
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

AccessRecord record_of(const http::request_header<>& header, const Connection& c) {
  return AccessRecord{header.method_string(),
                      header.target(),
                      0,
                      0,
                      {},
                      header[http::field::user_agent],
                      c.remote_ip,
                      header["X-Cloud-Trace-Context"],
                      header["traceparent"]};
}

// Writes the answer under the request timeout and logs it. False when the write failed.
asio::awaitable<bool> reply(Connection& c, const Response& response, Persistence persistence,
                            AccessRecord record, Clock::time_point started) {
  auto payload = response.head ? std::string_view() : response.payload();
  serialize_head(response, persistence, c.head);
  std::array<asio::const_buffer, 2> buffers{asio::buffer(c.head), asio::buffer(payload)};
  c.stream.expires_after(c.context.limits.request_timeout);
  auto [ec, written] = co_await asio::async_write(c.stream, buffers, use_tuple);
  record.status = response.status;
  record.response_size = payload.size();
  record.latency = Clock::now() - started;
  log_access(record);
  co_return !ec;
}

// The endpoints' answer, and what the request's route was (for metrics).
asio::awaitable<std::pair<Response, RouteKind>> respond(SessionContext& context,
                                                        const http::request_header<>& header,
                                                        bool has_body) {
  std::string accept = joined_field(header, http::field::accept);
  std::string if_none_match = joined_field(header, http::field::if_none_match);
  RequestTarget target = split_target(header.target());
  Request request{header.method_string(), target.path, target.query, accept, if_none_match};
  auto route = parse_route(target.path);
  RouteKind kind = route ? route->kind : route.error().kind;
  if (has_body && request.reads())
    co_return std::pair{bad_request(400, "GET and HEAD requests must not have a body"), kind};
  context.metrics.in_flight.fetch_add(1, std::memory_order_relaxed);
  Response response;
  try {
    if (auto now = context.endpoints.answer_now(request, route))
      response = std::move(*now);
    else
      response = co_await context.endpoints.answer_later(request, *route);
  } catch (const std::exception& error) {
    spdlog::error("internal error on {} {}: {}", printable(request.method, 16),
                  printable(header.target(), 512), error.what());
    response = error_response(internal_error(), request.head());
  }
  context.metrics.in_flight.fetch_sub(1, std::memory_order_relaxed);
  co_return std::pair{std::move(response), kind};
}

// Reads, answers and writes one request. False when the connection must close after it.
asio::awaitable<bool> serve_one(Connection& c) {
  Parser parser;
  parser.header_limit(static_cast<std::uint32_t>(c.context.limits.max_header_size));
  c.stream.expires_after(c.context.limits.request_timeout);
  auto [read_error, read] = co_await http::async_read_header(c.stream, c.buffer, parser, use_tuple);
  auto started = Clock::now();
  if (read_error) {
    if (auto refusal = refusal_for(read_error, parser))
      co_await reply(c, *refusal, Persistence::close, {"-", "-", 0, 0, {}, {}, c.remote_ip, {}, {}},
                     started);
    co_return false;
  }
  const auto& header = parser.get();
  bool has_body = parser.chunked() || (parser.content_length() && *parser.content_length() > 0);
  bool keep_alive = header.keep_alive() && !has_body && !c.context.connections.draining;
  auto [response, kind] = co_await respond(c.context, header, has_body);
  // Counted before the answer leaves, so a client that reads /metrics next sees it.
  c.context.metrics.request_done(kind, response.status, Clock::now() - started);
  Persistence persistence = !keep_alive              ? Persistence::close
                            : header.version() == 10 ? Persistence::keep_alive_1_0
                                                     : Persistence::keep_alive_1_1;
  bool written = co_await reply(c, response, persistence, record_of(header, c), started);
  co_return written&& keep_alive;
}

}  // namespace

void ConnectionList::drain() {
  draining = true;
  // A socket that a timeout has just closed stays listed until its coroutine runs: cancelling it
  // is a harmless error.
  error_code ignored;
  for (auto& connection : open)
    if (!connection.busy) connection.socket->cancel(ignored);
}

asio::awaitable<void> run_session(tcp::socket socket, SessionContext& context) {
  Connection c(std::move(socket), context);
  while (!context.connections.draining) {
    if (!co_await await_request(c)) break;
    c.entry->busy = true;
    bool again = co_await serve_one(c);
    c.entry->busy = false;
    if (!again) break;
  }
  error_code ignored;
  c.stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace ocipfs
