// ocipfs_bench: the benchmark's own tools (a fake gateway, cold-path and cache-fill clients, a
// start-up timer). tests/bench/run.sh drives them next to wrk, nginx and the reference registry.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "ocipfs/cid.hpp"
#include "ocipfs/digest.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

namespace {

std::map<std::string, std::string> parse_flags(int argc, char** argv, int first) {
  std::map<std::string, std::string> flags;
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--") break;
    auto eq = arg.find('=');
    if (arg.rfind("--", 0) != 0 || eq == std::string::npos) {
      std::cerr << "ocipfs_bench: bad argument " << arg << "\n";
      std::exit(2);
    }
    flags[arg.substr(2, eq - 2)] = arg.substr(eq + 1);
  }
  return flags;
}

long number(const std::map<std::string, std::string>& flags, const std::string& name,
            long fallback) {
  auto it = flags.find(name);
  return it == flags.end() ? fallback : std::stol(it->second);
}

std::string manifest(long index) {
  std::string n = std::to_string(index);
  return R"({"mediaType":"application/vnd.ocipfs.layer.manifest.v1+json","layer":{"mediaType":)"
         R"("application/vnd.oci.image.layer.v1.tar+gzip","digest":")" +
         ocipfs::sha256_digest("layer-" + n) + R"(","size":)" + std::to_string(1000 + index) +
         R"(,"annotations":{"io.ocipfs.layer.ipfs.cid":"QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn/layer-)" +
         n + R"(.tar.gz","io.ocipfs.layer.fs.digest":")" + ocipfs::sha256_digest("diff-" + n) +
         R"("}}})";
}

std::string cid_of(const std::string& bytes) {
  auto hash = ocipfs::sha256(bytes);
  return ocipfs::Cid{1, ocipfs::multicodec::raw, ocipfs::multihash::sha2_256,
                     std::string(reinterpret_cast<const char*>(hash.data()), hash.size())}
      .to_string();
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  auto index = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1));
  return values[index];
}

// --- gateway ---

struct Gateway {
  std::unordered_map<std::string, std::string> content;  // path -> body
  std::chrono::milliseconds latency{0};
  std::uint64_t fetches = 0;

  asio::awaitable<void> serve(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    for (;;) {
      http::request<http::empty_body> request;
      auto [ec, n] = co_await http::async_read(stream, buffer, request, use_tuple);
      if (ec) co_return;
      std::string target(request.target());
      http::response<http::string_body> response{http::status::ok, 11};
      if (target == "/_stats") {
        response.body() = "fetches " + std::to_string(fetches) + "\n";
      } else {
        if (target.rfind("/ipfs/", 0) == 0) ++fetches;
        if (latency.count() > 0) {
          asio::steady_timer timer(stream.get_executor(), latency);
          co_await timer.async_wait(use_tuple);
        }
        auto it = content.find(target);
        if (it == content.end()) {
          response.result(http::status::not_found);
        } else {
          response.body() = it->second;
        }
      }
      response.keep_alive(request.keep_alive());
      response.prepare_payload();
      auto [write_error, w] = co_await http::async_write(stream, response, use_tuple);
      if (write_error || !request.keep_alive()) co_return;
    }
  }

  asio::awaitable<void> accept(tcp::acceptor& acceptor) {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
      if (ec) co_return;
      asio::co_spawn(acceptor.get_executor(), serve(std::move(socket)), asio::detached);
    }
  }
};

int run_gateway(const std::map<std::string, std::string>& flags) {
  Gateway gateway;
  gateway.latency = std::chrono::milliseconds(number(flags, "latency-ms", 0));
  long count = number(flags, "count", 1);
  gateway.content.reserve(static_cast<std::size_t>(count));
  for (long i = 0; i < count; ++i) {
    std::string body = manifest(i);
    gateway.content.emplace("/ipfs/" + cid_of(body), std::move(body));
  }
  asio::io_context ioc(1);
  tcp::acceptor acceptor(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  asio::signal_set signals(ioc, SIGTERM, SIGINT);
  signals.async_wait([&](auto, int) { ioc.stop(); });
  asio::co_spawn(ioc, gateway.accept(acceptor), asio::detached);
  if (auto it = flags.find("port-file"); it != flags.end()) {
    std::ofstream(it->second + ".tmp") << acceptor.local_endpoint().port() << "\n";
    std::rename((it->second + ".tmp").c_str(), it->second.c_str());
  } else {
    std::cout << acceptor.local_endpoint().port() << std::endl;
  }
  ioc.run();
  return 0;
}

// --- clients ---

struct Tally {
  std::vector<double> latencies_ms;
  long ok = 0;
  long errors = 0;
};

asio::awaitable<void> one_request(tcp::endpoint endpoint, std::string target, Tally& tally) {
  auto started = Clock::now();
  beast::tcp_stream stream(co_await asio::this_coro::executor);
  stream.expires_after(std::chrono::seconds(60));
  auto [connect_error] = co_await stream.async_connect(endpoint, use_tuple);
  if (connect_error) {
    ++tally.errors;
    co_return;
  }
  http::request<http::empty_body> request{http::verb::get, target, 11};
  request.set(http::field::host, "127.0.0.1");
  auto [write_error, w] = co_await http::async_write(stream, request, use_tuple);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  auto [read_error, r] = co_await http::async_read(stream, buffer, response, use_tuple);
  if (write_error || read_error || response.result() != http::status::ok) {
    ++tally.errors;
    co_return;
  }
  ++tally.ok;
  tally.latencies_ms.push_back(
      std::chrono::duration<double, std::milli>(Clock::now() - started).count());
}

int run_cold(const std::map<std::string, std::string>& flags) {
  tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"),
                         static_cast<unsigned short>(number(flags, "port", 0)));
  long concurrency = number(flags, "concurrency", 1000);
  std::string target = "/v2/layer/" + flags.at("cid") + "/manifests/latest";
  asio::io_context ioc(1);
  Tally tally;
  for (long i = 0; i < concurrency; ++i)
    asio::co_spawn(ioc, one_request(endpoint, target, tally), asio::detached);
  ioc.run();
  std::printf("cold requests=%ld ok=%ld p50_ms=%.1f p99_ms=%.1f\n", concurrency, tally.ok,
              percentile(tally.latencies_ms, 0.5), percentile(tally.latencies_ms, 0.99));
  return tally.errors == 0 ? 0 : 1;
}

asio::awaitable<void> fill_worker(tcp::endpoint endpoint, long& next, long count, Tally& tally) {
  beast::tcp_stream stream(co_await asio::this_coro::executor);
  auto [connect_error] = co_await stream.async_connect(endpoint, use_tuple);
  if (connect_error) co_return;
  beast::flat_buffer buffer;
  while (next < count) {
    long index = next++;
    http::request<http::empty_body> request{
        http::verb::get, "/v2/layer/" + cid_of(manifest(index)) + "/manifests/latest", 11};
    request.set(http::field::host, "127.0.0.1");
    stream.expires_after(std::chrono::seconds(60));
    auto [write_error, w] = co_await http::async_write(stream, request, use_tuple);
    http::response<http::string_body> response;
    auto [read_error, r] = co_await http::async_read(stream, buffer, response, use_tuple);
    if (write_error || read_error) {
      ++tally.errors;
      co_return;
    }
    response.result() == http::status::ok ? ++tally.ok : ++tally.errors;
  }
}

int run_fill(const std::map<std::string, std::string>& flags) {
  tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"),
                         static_cast<unsigned short>(number(flags, "port", 0)));
  long count = number(flags, "count", 1000);
  long next = 0;
  Tally tally;
  auto started = Clock::now();
  asio::io_context ioc(1);
  for (long i = 0; i < number(flags, "concurrency", 64); ++i)
    asio::co_spawn(ioc, fill_worker(endpoint, next, count, tally), asio::detached);
  ioc.run();
  std::printf("fill ok=%ld errors=%ld seconds=%.1f\n", tally.ok, tally.errors,
              std::chrono::duration<double>(Clock::now() - started).count());
  return tally.errors == 0 ? 0 : 1;
}

unsigned short free_port() {
  asio::io_context ioc;
  tcp::acceptor acceptor(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

int run_startup(const std::map<std::string, std::string>& flags, std::vector<char*> command) {
  std::vector<double> times;
  for (long run = 0; run < number(flags, "runs", 10); ++run) {
    unsigned short port = free_port();
    std::string listen = "--listen=127.0.0.1:" + std::to_string(port);
    std::vector<char*> argv = command;
    argv.push_back(listen.data());
    argv.push_back(nullptr);
    auto started = Clock::now();
    pid_t pid = fork();
    if (pid == 0) {
      execv(argv[0], argv.data());
      _exit(127);
    }
    asio::io_context ioc;
    bool up = false;
    while (!up && Clock::now() - started < std::chrono::seconds(5)) {
      tcp::socket socket(ioc);
      boost::system::error_code ec;
      socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
      up = !ec;
      if (!up) usleep(200);
    }
    times.push_back(std::chrono::duration<double, std::milli>(Clock::now() - started).count());
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    if (!up) {
      std::fprintf(stderr, "ocipfs_bench: %s did not start\n", command[0]);
      return 1;
    }
  }
  std::printf("startup median_ms=%.1f max_ms=%.1f\n", percentile(times, 0.5),
              *std::max_element(times.begin(), times.end()));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: ocipfs_bench gateway|cid|manifest|cold|fill|startup [--flag=value...]\n";
    return 2;
  }
  std::string command = argv[1];
  auto flags = parse_flags(argc, argv, 2);
  if (command == "gateway") return run_gateway(flags);
  if (command == "cid")
    return std::printf("%s\n", cid_of(manifest(number(flags, "index", 0))).c_str()) < 0;
  if (command == "manifest")
    return std::printf("%s\n", manifest(number(flags, "index", 0)).c_str()) < 0;
  if (command == "cold") return run_cold(flags);
  if (command == "fill") return run_fill(flags);
  if (command == "startup") {
    std::vector<char*> rest;
    for (int i = 2; i < argc; ++i)
      if (std::string(argv[i]) == "--") rest.assign(argv + i + 1, argv + argc);
    if (rest.empty()) return 2;
    return run_startup(flags, rest);
  }
  std::cerr << "ocipfs_bench: unknown command " << command << "\n";
  return 2;
}
