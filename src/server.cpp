#include "ocipfs/server.hpp"

#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <array>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <list>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "ocipfs/caching_resolver.hpp"
#include "ocipfs/gateway_client.hpp"
#include "ocipfs/gateway_health.hpp"
#include "ocipfs/handler.hpp"
#include "ocipfs/log.hpp"
#include "ocipfs/metrics.hpp"
#include "ocipfs/resolver.hpp"
#include "ocipfs/text.hpp"

namespace ocipfs {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

GatewayClientOptions client_options(const Config& config) {
  GatewayClientOptions options;
  options.timeout = config.gateway_timeout;
  options.user_agent = "ocipfsd/" OCIPFS_VERSION;
  options.ca_file = config.gateway_ca_file;
  return options;
}

// Everything one thread serves with. Members are destroyed bottom-up: the gateway client closes
// its sockets while the io_context lives; the io_context then destroys the coroutine frames it
// still holds, which unregister from `connections`.
struct Worker {
  Worker(const Config& config, GatewayHealth& health, ResolverShared& shared, Metrics& metrics)
      : client(ioc.get_executor(), client_options(config)),
        fetcher(client, config.gateways, health, config.verify, &metrics),
        resolver(fetcher, shared, wait_limit(config)),
        handler(resolver, config.redirect_gateway) {}

  static std::chrono::milliseconds wait_limit(const Config& config) {
    return config.gateway_timeout * static_cast<int>(config.gateways.size()) +
           std::chrono::seconds(10);
  }

  // The connections of this thread, touched only from it: what a drain must close or let finish.
  // Declared before the io_context: the coroutine frames it destroys last unregister here.
  struct Connection {
    beast::tcp_stream* stream;
    bool busy = false;
  };
  std::list<Connection> connections;
  bool draining = false;
  asio::io_context ioc{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{ioc.get_executor()};
  GatewayClient client;
  GatewayResolver fetcher;
  CachingResolver resolver;
  Handler handler;
};

// The status line and header block of `response`, written into `out` (reused between requests).
// The invariants every answer shares are set here. Header values come from our own code: names
// are fixed, and values hold no CR or LF (locations are percent-encoded, digests are checked).
// HTTP/1.1 keeps connections open unless told; HTTP/1.0 closes them unless told (RFC 9112 9.3).
enum class Persistence { close, keep_alive_1_1, keep_alive_1_0 };

void serialize_head(const Response& response, Persistence persistence, std::string& out) {
  out.clear();
  out += "HTTP/1.1 ";
  out += std::to_string(response.status);
  out += ' ';
  out += http::obsolete_reason(static_cast<http::status>(response.status));
  out += "\r\nServer: ocipfsd\r\nDocker-Distribution-API-Version: registry/2.0\r\n";
  if (!response.content_type.empty()) {
    out += "Content-Type: ";
    out += response.content_type;
    out += "\r\n";
  }
  for (const auto& [name, value] : response.headers) {
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  if (response.status != 304) {
    out += "Content-Length: ";
    out += std::to_string(response.content_length);
    out += "\r\n";
  }
  if (persistence == Persistence::close) out += "Connection: close\r\n";
  if (persistence == Persistence::keep_alive_1_0) out += "Connection: keep-alive\r\n";
  out += "\r\n";
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
  Response response = error_response({status, ErrorCode::unsupported, std::move(message)}, false);
  return response;
}

// What a connection over --max-connections is told before it is closed.
std::string refusal_bytes(std::size_t max_connections) {
  Response response = error_response(
      {503, ErrorCode::unavailable,
       "too many connections (" + std::to_string(max_connections) + " are open); try again"},
      false);
  response.add("Retry-After", "1");
  std::string out;
  serialize_head(response, Persistence::close, out);
  out += response.body;
  return out;
}

// Logs at most one line per `interval` (a thread's own: each caller keeps its own).
class LogThrottle {
 public:
  explicit LogThrottle(std::chrono::seconds interval) : interval_(interval) {}
  // True when it is time to log; `suppressed` is how many were skipped since the last line.
  bool ready(std::uint64_t& suppressed) {
    auto now = std::chrono::steady_clock::now();
    if (now - last_ < interval_) {
      ++skipped_;
      return false;
    }
    last_ = now;
    suppressed = std::exchange(skipped_, 0);
    return true;
  }

 private:
  std::chrono::seconds interval_;
  std::chrono::steady_clock::time_point last_{};
  std::uint64_t skipped_ = 0;
};

// A refusal writes a few hundred bytes and waits briefly for the client's request, so that the
// close does not reset the connection before the 503 is read. At most this many at once; past
// that, a connection over the limit is closed without a word.
constexpr int max_refusals_in_flight = 64;
constexpr auto refusal_linger = std::chrono::seconds(1);

constexpr int send_buffer_bytes = 64 * 1024;

}  // namespace

struct Server::Impl {
  Config config;
  GatewayHealth health;
  ResolverShared shared;
  Metrics metrics;
  std::atomic<bool> probing{false};
  std::atomic<std::int64_t> active_connections{0};
  std::atomic<int> refusals_in_flight{0};
  const std::string refusal;
  std::vector<std::unique_ptr<Worker>> workers;
  tcp::acceptor acceptor;
  std::size_t next_worker = 0;
  LogThrottle accept_errors{std::chrono::seconds(10)};
  LogThrottle refusals_logged{std::chrono::seconds(10)};

  explicit Impl(const Config& cfg)
      : config(cfg),
        health(cfg.gateways.size()),
        shared(cfg.cache_size),
        metrics(gateway_names(cfg)),
        refusal(refusal_bytes(cfg.max_connections)),
        workers(make_workers(cfg, health, shared, metrics)),
        acceptor(workers[0]->ioc) {
    error_code ec;
    auto address = asio::ip::make_address(config.listen_host, ec);
    if (ec)
      throw std::runtime_error("cannot listen on " + config.listen_host + ": not an IP address");
    tcp::endpoint endpoint(address, config.listen_port);
    auto where = [&] {
      return "cannot listen on " + config.listen_host + ":" + std::to_string(config.listen_port);
    };
    if (acceptor.open(endpoint.protocol(), ec); ec)
      throw std::runtime_error(where() + ": " + ec.message());
    acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (acceptor.bind(endpoint, ec); ec) throw std::runtime_error(where() + ": " + ec.message());
    if (acceptor.listen(asio::socket_base::max_listen_connections, ec); ec)
      throw std::runtime_error(where() + ": " + ec.message());
  }

  static std::vector<std::unique_ptr<Worker>> make_workers(const Config& config,
                                                           GatewayHealth& health,
                                                           ResolverShared& shared,
                                                           Metrics& metrics) {
    std::vector<std::unique_ptr<Worker>> out;
    for (unsigned i = 0; i < std::max(1u, config.threads); ++i)
      out.push_back(std::make_unique<Worker>(config, health, shared, metrics));
    return out;
  }

  // Waits until every connection has closed, or the grace period is over, then stops.
  asio::awaitable<void> drain(std::chrono::milliseconds grace) {
    auto deadline = std::chrono::steady_clock::now() + grace;
    asio::steady_timer tick(workers[0]->ioc);
    while (active_connections.load() > 0 && std::chrono::steady_clock::now() < deadline) {
      tick.expires_after(std::chrono::milliseconds(20));
      co_await tick.async_wait(use_tuple);
    }
    auto left = active_connections.load();
    if (left > 0) spdlog::warn("shutdown: {} connections still busy after the grace period", left);
    for (auto& worker : workers) worker->ioc.stop();
  }

  asio::awaitable<void> accept_loop() {
    asio::steady_timer pause(workers[0]->ioc);
    for (;;) {
      Worker& worker = *workers[next_worker++ % workers.size()];
      auto [ec, socket] = co_await acceptor.async_accept(worker.ioc, use_tuple);
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      if (ec) {
        // Out of descriptors or buffers: the connection waits in the backlog. Retrying at once
        // would spin; a short pause lets connections close.
        if (std::uint64_t skipped = 0; accept_errors.ready(skipped))
          spdlog::warn("accept failed: {} ({} more since the last report)", ec.message(), skipped);
        pause.expires_after(std::chrono::milliseconds(50));
        co_await pause.async_wait(use_tuple);
        continue;
      }
      if (active_connections.load() >= static_cast<std::int64_t>(config.max_connections)) {
        metrics.refused_connections.fetch_add(1, std::memory_order_relaxed);
        if (std::uint64_t skipped = 0; refusals_logged.ready(skipped))
          spdlog::warn(
              "{} connections open (--max-connections): refusing new ones ({} more since "
              "the last report)",
              config.max_connections, skipped);
        if (refusals_in_flight.fetch_add(1) < max_refusals_in_flight)
          asio::co_spawn(worker.ioc, refuse(std::move(socket)), asio::detached);
        else
          refusals_in_flight.fetch_sub(1);
        continue;
      }
      active_connections.fetch_add(1);
      asio::co_spawn(worker.ioc, session(worker, std::move(socket)), asio::detached);
    }
  }

  asio::awaitable<void> refuse(tcp::socket socket) {
    struct Done {
      std::atomic<int>& count;
      ~Done() { count.fetch_sub(1); }
    } done{refusals_in_flight};
    beast::tcp_stream stream(std::move(socket));
    stream.expires_after(refusal_linger);
    auto [write_error, written] =
        co_await asio::async_write(stream, asio::buffer(refusal), use_tuple);
    if (write_error) co_return;
    error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    std::array<char, 1024> sink;
    for (;;) {
      auto [read_error, read] = co_await stream.async_read_some(asio::buffer(sink), use_tuple);
      if (read_error) break;
    }
  }

  asio::awaitable<void> session(Worker& worker, tcp::socket socket) {
    error_code ignored;
    auto remote = socket.remote_endpoint(ignored);
    const std::string remote_ip = remote.address().to_string();
    socket.set_option(tcp::no_delay(true), ignored);
    // Answers are a few KiB: a client that never reads holds this much kernel memory at most,
    // until --request-timeout closes it (Linux doubles the value for bookkeeping).
    socket.set_option(asio::socket_base::send_buffer_size(send_buffer_bytes), ignored);
    metrics.connections.fetch_add(1, std::memory_order_relaxed);
    struct Closed {
      Metrics& metrics;
      ~Closed() { metrics.connections.fetch_sub(1, std::memory_order_relaxed); }
    } closed{metrics};
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer(config.max_header_size);
    std::string head_buffer;
    // An idle connection holds this much buffer; a longer header grows it on demand.
    constexpr std::size_t first_read_size = 1024;
    worker.connections.push_front({&stream});
    auto self = worker.connections.begin();
    struct Unregister {
      Worker& worker;
      std::list<Worker::Connection>::iterator self;
      Server::Impl& server;
      ~Unregister() {
        worker.connections.erase(self);
        server.active_connections.fetch_sub(1);
      }
    } unregister{worker, self, *this};
    for (;;) {
      if (worker.draining) break;
      // Waiting for a request may last the idle timeout; its header must then arrive in time.
      if (buffer.size() == 0) {
        stream.expires_after(config.idle_timeout);
        auto [ec, n] = co_await stream.async_read_some(buffer.prepare(first_read_size), use_tuple);
        if (ec) break;
        buffer.commit(n);
      }
      self->busy = true;
      stream.expires_after(config.request_timeout);
      http::request_parser<http::empty_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(config.max_header_size));
      auto [read_error, read] = co_await http::async_read_header(stream, buffer, parser, use_tuple);
      auto started = std::chrono::steady_clock::now();
      if (read_error) {
        if (read_error == http::error::header_limit) {
          // The parser keeps the request line once it is complete: without it, that line was
          // over the limit.
          Response refusal = parser.get().target().empty()
                                 ? bad_request(414, "request line too long")
                                 : bad_request(431, "request header too large");
          co_await reply(stream, refusal, false, refused_record(remote_ip, started), head_buffer);
        } else if (read_error.category() ==
                       http::make_error_code(http::error::bad_target).category() &&
                   read_error != http::error::end_of_stream &&
                   read_error != http::error::partial_message) {
          Response refusal = bad_request(400, "malformed HTTP request");
          co_await reply(stream, refusal, false, refused_record(remote_ip, started), head_buffer);
        }
        break;
      }
      const auto& header = parser.get();
      bool has_body = parser.chunked() || (parser.content_length() && *parser.content_length() > 0);
      bool keep_alive = header.keep_alive() && !has_body && !worker.draining;
      Response response;
      std::string_view method = header.method_string();
      if (has_body && (method == "GET" || method == "HEAD")) {
        response = bad_request(400, "GET and HEAD requests must not have a body");
      } else {
        std::string accept = joined_field(header, http::field::accept);
        std::string if_none_match = joined_field(header, http::field::if_none_match);
        Request request{method, header.target(), accept, if_none_match};
        metrics.in_flight.fetch_add(1, std::memory_order_relaxed);
        try {
          if (auto operational = operational_answer(request)) {
            response = std::move(*operational);
          } else if (auto now = worker.handler.answer_now(request)) {
            response = std::move(*now);
          } else {
            response = co_await worker.handler.answer_later(request);
          }
        } catch (const std::exception& error) {
          spdlog::error("internal error on {} {}: {}", method, printable(header.target(), 512),
                        error.what());
          response = error_response(internal_error(), method == "HEAD");
        }
        metrics.in_flight.fetch_sub(1, std::memory_order_relaxed);
      }
      // Counted before the answer leaves, so a client that reads /metrics next sees it.
      metrics.request_done(route_label(header.target()), response.status,
                           std::chrono::steady_clock::now() - started);
      AccessRecord record{method,
                          header.target(),
                          0,
                          0,
                          std::chrono::steady_clock::now() - started,
                          header[http::field::user_agent],
                          remote_ip,
                          header["X-Cloud-Trace-Context"],
                          header["traceparent"]};
      bool ok =
          co_await reply(stream, response, keep_alive, record, head_buffer, header.version() == 10);
      self->busy = false;
      if (!ok || !keep_alive || worker.draining) break;
    }
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  // Asks each gateway for the empty identity CID, which any gateway answers without a network
  // lookup: a cheap sign of life for --ready-check.
  asio::awaitable<void> probe_gateways(Worker& worker) {
    for (std::size_t i = 0; i < config.gateways.size(); ++i) {
      HttpUrl url = config.gateways[i];
      url.path = std::string(url.base_path()) + "/ipfs/bafkqaaa";
      auto answer = co_await worker.client.get(url);
      if (answer) health.succeeded(i);
    }
    probing = false;
  }

  static std::vector<std::string> gateway_names(const Config& config) {
    std::vector<std::string> names;
    for (const auto& gateway : config.gateways) names.push_back(gateway.to_string());
    return names;
  }

  // /healthz, /readyz and /metrics: outside /v2/, so never mistaken for registry paths.
  std::optional<Response> operational_answer(const Request& request) {
    std::string_view path = request.target.substr(0, request.target.find('?'));
    if (path != "/healthz" && path != "/readyz" && path != "/metrics") return std::nullopt;
    if (request.method != "GET" && request.method != "HEAD")
      return error_response(unsupported("only GET and HEAD"), false);
    Response response;
    response.head = request.method == "HEAD";
    response.content_type = "text/plain; charset=utf-8";
    response.add("Cache-Control", "no-store");
    if (path == "/healthz") {
      response.body = "ok\n";
    } else if (path == "/readyz") {
      bool ready = !config.ready_check ||
                   health.answered_since(std::chrono::steady_clock::now() - config.ready_window);
      if (!ready && !probing.exchange(true))
        asio::co_spawn(workers[0]->ioc, probe_gateways(*workers[0]), asio::detached);
      response.status = ready ? 200 : 503;
      response.body = ready ? "ready\n" : "not ready: no gateway answered recently\n";
    } else {
      response.content_type = "text/plain; version=0.0.4; charset=utf-8";
      response.body = metrics.render(shared.images.stats(), shared.manifests.stats());
    }
    response.content_length = response.body.size();
    return response;
  }

  static AccessRecord refused_record(std::string_view remote_ip,
                                     std::chrono::steady_clock::time_point started) {
    AccessRecord record;
    record.method = "-";
    record.url = "-";
    record.remote_ip = remote_ip;
    record.latency = std::chrono::steady_clock::now() - started;
    return record;
  }

  asio::awaitable<bool> reply(beast::tcp_stream& stream, const Response& response, bool keep_alive,
                              AccessRecord record, std::string& head, bool http10 = false) {
    auto started = std::chrono::steady_clock::now() - record.latency;
    auto payload = response.head ? std::string_view() : response.payload();
    serialize_head(response,
                   !keep_alive ? Persistence::close
                   : http10    ? Persistence::keep_alive_1_0
                               : Persistence::keep_alive_1_1,
                   head);
    std::array<asio::const_buffer, 2> buffers{asio::buffer(head), asio::buffer(payload)};
    stream.expires_after(config.request_timeout);
    auto [ec, written] = co_await asio::async_write(stream, buffers, use_tuple);
    record.status = response.status;
    record.response_size = payload.size();
    record.latency = std::chrono::steady_clock::now() - started;
    log_access(record);
    co_return !ec;
  }
};

Server::Server(const Config& config) : impl_(std::make_unique<Impl>(config)) {}

Server::~Server() = default;

std::uint16_t Server::port() const { return impl_->acceptor.local_endpoint().port(); }

void Server::run() {
  asio::co_spawn(impl_->workers[0]->ioc, impl_->accept_loop(), asio::detached);
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < impl_->workers.size(); ++i)
    threads.emplace_back([this, i] { impl_->workers[i]->ioc.run(); });
  impl_->workers[0]->ioc.run();
  for (auto& thread : threads) thread.join();
}

void Server::stop() {
  for (auto& worker : impl_->workers) worker->ioc.stop();
}

void Server::shutdown(std::chrono::milliseconds grace) {
  auto& impl = *impl_;
  asio::post(impl.workers[0]->ioc, [&impl] {
    error_code ignored;
    impl.acceptor.close(ignored);
  });
  for (auto& worker : impl.workers) {
    asio::post(worker->ioc, [&w = *worker] {
      w.draining = true;
      // Idle connections close now; busy ones after their answer. A socket that a timeout has
      // just closed stays listed until its coroutine runs: cancelling it is a harmless error.
      error_code ignored;
      for (auto& connection : w.connections)
        if (!connection.busy) connection.stream->socket().cancel(ignored);
    });
  }
  asio::co_spawn(impl.workers[0]->ioc, impl.drain(grace), asio::detached);
}

std::size_t connection_budget(std::size_t wanted, std::uint64_t open_file_limit) {
  std::uint64_t room = open_file_limit - open_file_limit / 8;
  room = room > 16 ? room - 16 : 1;
  return static_cast<std::size_t>(std::min<std::uint64_t>(wanted, room));
}

std::uint64_t raise_open_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return limit.rlim_cur == RLIM_INFINITY ? std::uint64_t{1} << 20 : limit.rlim_cur;
}

}  // namespace ocipfs
