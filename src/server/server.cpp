#include "ocipfs/server/server.hpp"

#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "ocipfs/base/asio_tokens.hpp"
#include "ocipfs/base/log.hpp"
#include "ocipfs/cache/caching_resolver.hpp"
#include "ocipfs/gateway/client.hpp"
#include "ocipfs/gateway/fetch_slots.hpp"
#include "ocipfs/gateway/fetcher.hpp"
#include "ocipfs/gateway/health.hpp"
#include "ocipfs/gateway/layer_stream.hpp"
#include "ocipfs/registry/handler.hpp"
#include "ocipfs/registry/pages.hpp"
#include "ocipfs/server/endpoints.hpp"
#include "ocipfs/server/metrics.hpp"
#include "ocipfs/server/operations.hpp"
#include "ocipfs/server/tls.hpp"
#include "session.hpp"

namespace ocipfs {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

// A refusal writes a few hundred bytes and waits briefly for the client's request, so that the
// close does not reset the connection before the 503 is read. At most this many at once; past
// that, a connection over the limit is closed without a word.
constexpr int max_refusals_in_flight = 64;
constexpr auto refusal_linger = std::chrono::seconds(1);

// What a connection over --max-connections is told before it is closed.
std::string refusal_bytes(std::size_t max_connections) {
  Response response =
      error_response(service_unavailable("too many connections (" +
                                         std::to_string(max_connections) + " are open); try again"),
                     false);
  std::string out;
  serialize_head(response, Persistence::close, out);
  out += response.body;
  return out;
}

// An exception that escapes a coroutine started on its own is logged, never lost.
void log_escaped(std::exception_ptr error) {
  if (!error) return;
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& escaped) {
    spdlog::error("a connection ended by an unexpected exception: {}", escaped.what());
  } catch (...) {
    spdlog::error("a connection ended by an unexpected exception");
  }
}

std::chrono::milliseconds wait_limit(const Config& config) {
  return config.gateway.client.timeout * static_cast<int>(config.gateway.urls.size()) +
         std::chrono::seconds(10);
}

DocumentMemory document_memory(const Config& config, Metrics& metrics) {
  return {config.cache.document_memory,
          config.gateway.client.timeout,
          {&metrics.document_memory_bytes, &metrics.document_memory_waiting,
           &metrics.document_memory_refused}};
}

std::vector<std::string> gateway_names(const Config& config) {
  std::vector<std::string> names;
  for (const auto& gateway : config.gateway.urls) names.push_back(gateway.to_string());
  return names;
}

// Everything one thread serves with. Members are destroyed bottom-up: the gateway client closes
// its sockets while the io_context lives; the io_context then destroys the coroutine frames it
// still holds, which unregister from `connections` (declared before it).
struct Worker {
  Worker(const Config& config, GatewayHealth& health, ResolverShared& shared, Metrics& metrics,
         Operations& operations, FetchSlots& slots, Budget& blob_transfers, TlsCredentials* tls)
      : client(ioc.get_executor(), config.gateway.client),
        fetcher(client, config.gateway.urls, health, config.gateway.verify, &metrics.fetches,
                config.gateway.hedge, &slots, config.gateway.client.timeout,
                config.gateway.trustless),
        resolver(ioc.get_executor(), fetcher, shared, wait_limit(config)),
        layer_streams(client, config.gateway.urls, config.gateway.trustless, health, blob_transfers,
                      config.gateway.client.timeout, metrics.transfers),
        handler(resolver, config.gateway.redirect,
                config.gateway.blobs == BlobMode::proxy ? &layer_streams : nullptr),
        pages(resolver, config.gateway.redirect, config.pages.public_host),
        endpoints(handler, pages, operations, metrics),
        session{config.limits, endpoints, metrics, connections, tls} {}

  ConnectionList connections;
  asio::io_context ioc{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{ioc.get_executor()};
  GatewayClient client;
  GatewayFetcher fetcher;
  CachingResolver resolver;
  LayerStreams layer_streams;  // used with --blobs=proxy
  Handler handler;
  Pages pages;
  Endpoints endpoints;
  SessionContext session;
};

}  // namespace

struct Server::Impl {
  Config config;
  GatewayHealth health;
  Metrics metrics;
  ResolverShared shared;
  FetchSlots fetch_slots;  // before the workers, whose fetches hold slots
  Budget blob_transfers;   // --max-blob-transfers, likewise
  Operations operations;
  std::unique_ptr<TlsCredentials> tls;  // with --tls-cert; before the workers, which use it
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
        health(cfg.gateway.urls.size()),
        metrics(gateway_names(cfg)),
        shared(cfg.cache.bytes, cfg.cache.failure_ttl, std::chrono::steady_clock::now,
               document_memory(cfg, metrics)),
        fetch_slots(cfg.gateway.max_fetches, &metrics.fetches),
        blob_transfers(cfg.gateway.max_blob_transfers, metrics.transfers.slot_gauges()),
        operations(cfg.ready, health, metrics, shared, [this] { start_probe(); }),
        tls(cfg.tls.enabled() ? std::make_unique<TlsCredentials>(cfg.tls) : nullptr),
        refusal(refusal_bytes(cfg.limits.max_connections)),
        workers(make_workers()),
        acceptor(workers[0]->ioc) {
    listen();
  }

  std::vector<std::unique_ptr<Worker>> make_workers() {
    std::vector<std::unique_ptr<Worker>> out;
    for (unsigned i = 0; i < std::max(1u, config.listen.threads); ++i)
      out.push_back(std::make_unique<Worker>(config, health, shared, metrics, operations,
                                             fetch_slots, blob_transfers, tls.get()));
    return out;
  }

  void listen() {
    const std::string& host = config.listen.host;
    const std::uint16_t port = config.listen.port;
    auto where = [&] { return "cannot listen on " + host + ":" + std::to_string(port); };
    error_code ec;
    auto address = asio::ip::make_address(host, ec);
    if (ec) throw std::runtime_error("cannot listen on " + host + ": not an IP address");
    tcp::endpoint endpoint(address, port);
    if (acceptor.open(endpoint.protocol(), ec); ec)
      throw std::runtime_error(where() + ": " + ec.message());
    acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (acceptor.bind(endpoint, ec); ec) throw std::runtime_error(where() + ": " + ec.message());
    if (acceptor.listen(asio::socket_base::max_listen_connections, ec); ec)
      throw std::runtime_error(where() + ": " + ec.message());
  }

  // Asks each gateway for the empty identity CID, which any gateway answers without a network
  // lookup: a cheap sign of life for --ready-check.
  void start_probe() { asio::co_spawn(workers[0]->ioc, probe_gateways(*workers[0]), log_escaped); }

  asio::awaitable<void> probe_gateways(Worker& worker) {
    struct Done {
      Operations& operations;
      ~Done() { operations.probe_done(); }
    } done{operations};
    const auto& urls = config.gateway.urls;
    for (std::size_t i = 0; i < urls.size(); ++i) {
      HttpUrl url = urls[i];
      url.path = std::string(url.base_path()) + "/ipfs/bafkqaaa";
      auto answer = co_await worker.client.get(url);
      if (answer) health.succeeded(i);
    }
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
      admit(worker, std::move(socket));
    }
  }

  // A session for the connection, or a refusal when --max-connections are open.
  void admit(Worker& worker, tcp::socket socket) {
    if (active_connections.load() < static_cast<std::int64_t>(config.limits.max_connections)) {
      active_connections.fetch_add(1);
      asio::co_spawn(worker.ioc, session(worker, std::move(socket)), log_escaped);
      return;
    }
    metrics.refused_connections.fetch_add(1, std::memory_order_relaxed);
    if (std::uint64_t skipped = 0; refusals_logged.ready(skipped))
      spdlog::warn(
          "{} connections open (--max-connections): refusing new ones ({} more since the last "
          "report)",
          config.limits.max_connections, skipped);
    // A TLS client would not understand a plain-HTTP 503: it is closed without a word.
    if (tls) return;
    if (refusals_in_flight.fetch_add(1) < max_refusals_in_flight)
      asio::co_spawn(worker.ioc, refuse(std::move(socket)), log_escaped);
    else
      refusals_in_flight.fetch_sub(1);
  }

  asio::awaitable<void> session(Worker& worker, tcp::socket socket) {
    struct Closed {
      std::atomic<std::int64_t>& count;
      ~Closed() { count.fetch_sub(1); }
    } closed{active_connections};
    co_await run_session(std::move(socket), worker.session);
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
};

namespace {
// spdlog makes its registry on first use; made here, before the worker threads, their first log
// lines do not race to make it (ocipfsd's main sets logging up first; an embedding test may not).
const Config& with_logging_ready(const Config& config) {
  spdlog::default_logger_raw();
  return config;
}
}  // namespace

Server::Server(const Config& config) : impl_(std::make_unique<Impl>(with_logging_ready(config))) {}

Server::~Server() = default;

std::uint16_t Server::port() const { return impl_->acceptor.local_endpoint().port(); }

TlsCredentials* Server::tls() const { return impl_->tls.get(); }

void Server::run() {
  asio::co_spawn(impl_->workers[0]->ioc, impl_->accept_loop(), log_escaped);
  for (auto& worker : impl_->workers)
    asio::co_spawn(worker->ioc,
                   sweep_connections(worker->connections, sweep_interval(impl_->config.limits)),
                   log_escaped);
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
  for (auto& worker : impl.workers)
    asio::post(worker->ioc, [&connections = worker->connections] { connections.drain(); });
  asio::co_spawn(impl.workers[0]->ioc, impl.drain(grace), log_escaped);
}

DescriptorBudget descriptor_budget(const DescriptorBudget& wanted, std::size_t idle_gateway_sockets,
                                   std::uint64_t open_file_limit) {
  std::uint64_t room = open_file_limit - open_file_limit / 8;
  room = room > 16 ? room - 16 : 1;
  const std::uint64_t idle = std::min<std::uint64_t>(idle_gateway_sockets, room / 2);
  const std::uint64_t gateway_room = std::max<std::uint64_t>(room / 2 - idle, 1);
  std::uint64_t fetches = std::max<std::uint64_t>(wanted.gateway_fetches, 1);
  std::uint64_t transfers = wanted.blob_transfers;
  if (fetches + transfers > gateway_room) {
    const std::uint64_t share = gateway_room * fetches / (fetches + transfers);
    fetches = std::max<std::uint64_t>(share, 1);
    if (transfers > 0)
      transfers = std::max<std::uint64_t>(gateway_room > fetches ? gateway_room - fetches : 0, 1);
  }
  const std::uint64_t used = fetches + transfers + idle;
  const std::uint64_t left = room > used ? room - used : 1;
  return {static_cast<std::size_t>(std::clamp<std::uint64_t>(wanted.connections, 1, left)),
          static_cast<std::size_t>(fetches), static_cast<std::size_t>(transfers)};
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
