// ocipfs_bench: the benchmark's own tools (a fake gateway, cold-path and cache-fill clients, a
// start-up timer). tests/bench/run.sh drives them next to wrk, nginx and the reference registry.
//
// Commands (flags are --name=value):
// - gateway --count=N [--images=N --image-layers=L] [--latency-ms=MS] [--port-file=PATH]
// - cid --index=I, or cid --image=J --image-layers=L: the CID of manifest(I) or of
//   image_document(J, L); manifest --index=I and image-document --image=J --image-layers=L print
//   the document itself
// - cold --port=P --cid=CID [--concurrency=K]: K requests at once for layer/<CID>
// - cold-image --port=P [--image=J] --image-layers=L [--concurrency=K]: K requests at once for
//   the manifest of image/<CID of image_document(J, L)>, timed to the first byte
// - cold-each --port=P --count=N [--concurrency=C]: layer/<CID of manifest(i)>, i < N, each once
//   (C at a time), each one timed: the cold path one distinct CID after another
// - fill --port=P --count=N [--first=F] [--concurrency=C] [--paths-file=PATH]:
//   layer/<CID of manifest(i)>, F <= i < N; with --paths-file, asked for the OCI manifest
//   (Accept: application/vnd.oci.image.manifest.v1+json) and PATH gets one line per image,
//   /v2/layer/<CID>/manifests/<its Docker-Content-Digest>, in index order
// - fill-image --port=P --count=N --image-layers=L [--first=F] [--concurrency=C]: the images
//   F <= j < N
// - startup --runs=N -- OCIPFSD ARGS...
// - null-server [--port-file=PATH] [--body-bytes=B]: the do-nothing reference server, one
//   thread: every request gets a 200 of B bytes (target /N: N bytes; HEAD: the Content-Length
//   only), with keep-alive
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
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ocipfs/base/digest.hpp"
#include "ocipfs/formats/cid.hpp"

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

// The image documents of the image benchmarks. Image j composes L layer manifests: manifest(0)
// to manifest(L-2), a base that every image shares, and one of its own on top,
// manifest(image_top_first + j). The numbering does not depend on the gateway's --count, so a
// client computes the same CIDs from j and L alone; one gateway serving N images holds L - 1 + N
// distinct layer manifests, the way a base layer shared by a thousand images is fetched once.
constexpr long image_top_first = 1'000'000'000;

long image_layer_index(long image, long layers, long position) {
  return position + 1 < layers ? position : image_top_first + image;
}

std::string image_document(long image, long layers) {
  std::string out = R"({"mediaType":"application/vnd.ocipfs.image.manifest.v1+json","layers":[)";
  for (long i = 0; i < layers; ++i) {
    if (i > 0) out += ',';
    out += '"' + cid_of(manifest(image_layer_index(image, layers, i))) + '"';
  }
  out += "]}";
  return out;
}

std::string image_cid(long image, long layers) { return cid_of(image_document(image, layers)); }

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
  std::unordered_map<std::string, std::uint64_t> fetches_by_path;  // /ipfs/ paths only

  asio::awaitable<void> serve(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    for (;;) {
      http::request<http::empty_body> request;
      auto [ec, n] = co_await http::async_read(stream, buffer, request, use_tuple);
      if (ec) co_return;
      // A path gateway: the query (?format=raw, ?format=car) does not change the file served.
      std::string target(request.target().substr(0, request.target().find('?')));
      http::response<http::string_body> response{http::status::ok, 11};
      if (target == "/_stats") {
        // paths: distinct /ipfs/ paths fetched; most_per_path: the most any one was fetched.
        std::uint64_t most = 0;
        for (const auto& [path, n] : fetches_by_path) most = std::max(most, n);
        response.body() = "fetches " + std::to_string(fetches) + "\npaths " +
                          std::to_string(fetches_by_path.size()) + "\nmost_per_path " +
                          std::to_string(most) + "\n";
      } else {
        if (target.rfind("/ipfs/", 0) == 0) {
          ++fetches;
          ++fetches_by_path[target];
        }
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
  // --images=N --image-layers=L: image_document(j, L) for j < N, and the layer manifests they
  // name (the shared base once).
  long images = number(flags, "images", 0);
  long image_layers = number(flags, "image-layers", 0);
  if (images > 0 && (image_layers < 1 || image_layers > 127)) {
    std::cerr << "ocipfs_bench: --image-layers must be 1 to 127\n";
    return 2;
  }
  for (long i = 0; images > 0 && i + 1 < image_layers; ++i) {
    std::string body = manifest(i);
    gateway.content.emplace("/ipfs/" + cid_of(body), std::move(body));
  }
  for (long j = 0; j < images; ++j) {
    std::string top = manifest(image_layer_index(j, image_layers, image_layers - 1));
    gateway.content.emplace("/ipfs/" + cid_of(top), std::move(top));
    std::string document = image_document(j, image_layers);
    gateway.content.emplace("/ipfs/" + cid_of(document), std::move(document));
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

// --- null-server ---
// The reference: the naive, idiomatic Beast server (a coroutine per connection, a tcp_stream with
// a timeout per operation, an empty_body request and a string_body response) that does nothing
// but answer. What ocipfsd costs above it is what its routing, caching and headers cost.

struct NullServer {
  std::size_t default_bytes = 512;
  std::unordered_map<std::size_t, std::string> bodies;  // by size

  const std::string& body_for(std::string_view target) {
    std::size_t bytes = default_bytes;
    if (target.size() > 1 && target.size() < 10 &&
        target.find_first_not_of("0123456789", 1) == std::string_view::npos)
      bytes = std::stoul(std::string(target.substr(1)));
    auto it = bodies.find(bytes);
    if (it == bodies.end()) it = bodies.emplace(bytes, std::string(bytes, 'x')).first;
    return it->second;
  }

  asio::awaitable<void> serve(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    for (;;) {
      http::request<http::empty_body> request;
      stream.expires_after(std::chrono::seconds(60));
      auto [ec, n] = co_await http::async_read(stream, buffer, request, use_tuple);
      if (ec) break;
      http::response<http::string_body> response{http::status::ok, request.version()};
      response.set(http::field::server, "null");
      response.set(http::field::content_type, "application/vnd.oci.image.manifest.v1+json");
      response.keep_alive(request.keep_alive());
      const std::string& body = body_for(request.target());
      if (request.method() == http::verb::head) {
        response.content_length(body.size());
      } else {
        response.body() = body;
        response.prepare_payload();
      }
      stream.expires_after(std::chrono::seconds(60));
      auto [write_error, w] = co_await http::async_write(stream, response, use_tuple);
      if (write_error || !request.keep_alive()) break;
    }
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  asio::awaitable<void> accept(tcp::acceptor& acceptor) {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
      if (ec) co_return;
      asio::co_spawn(acceptor.get_executor(), serve(std::move(socket)), asio::detached);
    }
  }
};

int run_null_server(const std::map<std::string, std::string>& flags) {
  NullServer server;
  server.default_bytes = static_cast<std::size_t>(number(flags, "body-bytes", 512));
  asio::io_context ioc(1);
  tcp::acceptor acceptor(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  asio::signal_set signals(ioc, SIGTERM, SIGINT);
  signals.async_wait([&](auto, int) { ioc.stop(); });
  asio::co_spawn(ioc, server.accept(acceptor), asio::detached);
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

// One request, timed to the first byte of the answer (the status line: the first read that
// returns anything) and to its end.
struct Timed {
  std::vector<double> first_byte_ms;
  std::vector<double> total_ms;
  long ok = 0;
  long errors = 0;
  std::size_t body_bytes = 0;  // of the last answer that was a 200
};

asio::awaitable<void> timed_request(tcp::endpoint endpoint, std::string target, std::string accept,
                                    Timed& timed) {
  auto started = Clock::now();
  beast::tcp_stream stream(co_await asio::this_coro::executor);
  stream.expires_after(std::chrono::seconds(60));
  auto [connect_error] = co_await stream.async_connect(endpoint, use_tuple);
  if (connect_error) {
    ++timed.errors;
    co_return;
  }
  http::request<http::empty_body> request{http::verb::get, target, 11};
  request.set(http::field::host, "127.0.0.1");
  if (!accept.empty()) request.set(http::field::accept, accept);
  auto [write_error, w] = co_await http::async_write(stream, request, use_tuple);
  if (write_error) {
    ++timed.errors;
    co_return;
  }
  beast::flat_buffer buffer;
  auto [first_error, n] = co_await stream.async_read_some(buffer.prepare(64 * 1024), use_tuple);
  auto first_byte = Clock::now();
  if (first_error || n == 0) {
    ++timed.errors;
    co_return;
  }
  buffer.commit(n);
  // The parser reads what the buffer already holds first.
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  auto [read_error, r] = co_await http::async_read(stream, buffer, parser, use_tuple);
  auto finished = Clock::now();
  if (read_error || parser.get().result() != http::status::ok) {
    ++timed.errors;
    co_return;
  }
  ++timed.ok;
  timed.body_bytes = parser.get().body().size();
  timed.first_byte_ms.push_back(
      std::chrono::duration<double, std::milli>(first_byte - started).count());
  timed.total_ms.push_back(std::chrono::duration<double, std::milli>(finished - started).count());
}

// K requests at once for the manifest of one image/<CID> (the default platform's: Accept names
// the OCI manifest only).
int run_cold_image(const std::map<std::string, std::string>& flags) {
  tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"),
                         static_cast<unsigned short>(number(flags, "port", 0)));
  long concurrency = number(flags, "concurrency", 1);
  long layers = number(flags, "image-layers", 100);
  std::string cid = image_cid(number(flags, "image", 0), layers);
  std::string target = "/v2/image/" + cid + "/manifests/latest";
  asio::io_context ioc(1);
  Timed timed;
  for (long i = 0; i < concurrency; ++i)
    asio::co_spawn(
        ioc, timed_request(endpoint, target, "application/vnd.oci.image.manifest.v1+json", timed),
        asio::detached);
  ioc.run();
  auto max_of = [](const std::vector<double>& v) {
    return v.empty() ? 0.0 : *std::max_element(v.begin(), v.end());
  };
  std::printf(
      "cold-image layers=%ld requests=%ld ok=%ld errors=%ld first_byte_ms=%.1f "
      "first_byte_max_ms=%.1f p50_ms=%.1f p99_ms=%.1f max_ms=%.1f bytes=%zu cid=%s\n",
      layers, concurrency, timed.ok, timed.errors, percentile(timed.first_byte_ms, 0.5),
      max_of(timed.first_byte_ms), percentile(timed.total_ms, 0.5),
      percentile(timed.total_ms, 0.99), max_of(timed.total_ms), timed.body_bytes, cid.c_str());
  return timed.errors == 0 ? 0 : 1;
}

using TargetOf = std::string (*)(long index, long layers);

std::string layer_target(long index, long) {
  return "/v2/layer/" + cid_of(manifest(index)) + "/manifests/latest";
}

std::string image_target(long index, long layers) {
  return "/v2/image/" + image_cid(index, layers) + "/manifests/latest";
}

// The path of a manifest by digest: the tag of TARGET (.../manifests/latest) replaced by DIGEST.
void record_path(std::vector<std::string>& paths, long slot, std::string_view target,
                 std::string_view digest) {
  auto tag = target.rfind('/');
  paths[static_cast<std::size_t>(slot)] =
      std::string(target.substr(0, tag + 1)) + std::string(digest);
}

asio::awaitable<void> fill_worker(tcp::endpoint endpoint, long& next, long first, long count,
                                  Tally& tally, TargetOf target_of, long layers,
                                  std::vector<std::string>* paths) {
  beast::tcp_stream stream(co_await asio::this_coro::executor);
  auto [connect_error] = co_await stream.async_connect(endpoint, use_tuple);
  if (connect_error) co_return;
  beast::flat_buffer buffer;
  while (next < count) {
    long index = next++;
    http::request<http::empty_body> request{http::verb::get, target_of(index, layers), 11};
    request.set(http::field::host, "127.0.0.1");
    if (paths) request.set(http::field::accept, "application/vnd.oci.image.manifest.v1+json");
    stream.expires_after(std::chrono::seconds(60));
    auto [write_error, w] = co_await http::async_write(stream, request, use_tuple);
    http::response<http::string_body> response;
    auto [read_error, r] = co_await http::async_read(stream, buffer, response, use_tuple);
    if (write_error || read_error) {
      ++tally.errors;
      co_return;
    }
    response.result() == http::status::ok ? ++tally.ok : ++tally.errors;
    if (paths && response.result() == http::status::ok)
      record_path(*paths, index - first, request.target(), response["Docker-Content-Digest"]);
  }
}

int run_fill(const std::map<std::string, std::string>& flags, bool images) {
  tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"),
                         static_cast<unsigned short>(number(flags, "port", 0)));
  long count = number(flags, "count", 1000);
  long first = number(flags, "first", 0);
  long next = first;
  auto paths_file = flags.find("paths-file");
  std::vector<std::string> paths;
  if (paths_file != flags.end())
    paths.resize(static_cast<std::size_t>(std::max(0L, count - first)));
  Tally tally;
  auto started = Clock::now();
  asio::io_context ioc(1);
  for (long i = 0; i < number(flags, "concurrency", 64); ++i)
    asio::co_spawn(
        ioc,
        fill_worker(endpoint, next, first, count, tally, images ? image_target : layer_target,
                    number(flags, "image-layers", 100),
                    paths_file == flags.end() ? nullptr : &paths),
        asio::detached);
  ioc.run();
  if (paths_file != flags.end()) {
    std::ofstream out(paths_file->second);
    for (const auto& path : paths) {
      if (path.empty() || path.back() == '/') ++tally.errors;  // no answer, or no digest
      out << path << "\n";
    }
    if (!out.flush()) ++tally.errors;
  }
  std::printf("%s ok=%ld errors=%ld seconds=%.1f\n", images ? "fill-image" : "fill", tally.ok,
              tally.errors, std::chrono::duration<double>(Clock::now() - started).count());
  return tally.errors == 0 ? 0 : 1;
}

// Takes the next index until `count`, one timed request each, on one kept-alive connection.
asio::awaitable<void> cold_each_worker(tcp::endpoint endpoint, long& next, long count,
                                       Tally& tally) {
  beast::tcp_stream stream(co_await asio::this_coro::executor);
  auto [connect_error] = co_await stream.async_connect(endpoint, use_tuple);
  if (connect_error) co_return;
  beast::flat_buffer buffer;
  while (next < count) {
    long index = next++;
    auto started = Clock::now();
    http::request<http::empty_body> request{http::verb::get, layer_target(index, 0), 11};
    request.set(http::field::host, "127.0.0.1");
    stream.expires_after(std::chrono::seconds(60));
    auto [write_error, w] = co_await http::async_write(stream, request, use_tuple);
    http::response<http::string_body> response;
    auto [read_error, r] = co_await http::async_read(stream, buffer, response, use_tuple);
    if (write_error || read_error) {
      ++tally.errors;
      co_return;
    }
    if (response.result() != http::status::ok) {
      ++tally.errors;
      continue;
    }
    ++tally.ok;
    tally.latencies_ms.push_back(
        std::chrono::duration<double, std::milli>(Clock::now() - started).count());
  }
}

int run_cold_each(const std::map<std::string, std::string>& flags) {
  tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"),
                         static_cast<unsigned short>(number(flags, "port", 0)));
  long count = number(flags, "count", 100);
  long next = 0;
  Tally tally;
  asio::io_context ioc(1);
  for (long i = 0; i < number(flags, "concurrency", 1); ++i)
    asio::co_spawn(ioc, cold_each_worker(endpoint, next, count, tally), asio::detached);
  ioc.run();
  auto& all = tally.latencies_ms;
  std::printf("cold-each requests=%ld ok=%ld errors=%ld p50_ms=%.1f p99_ms=%.1f max_ms=%.1f\n",
              count, tally.ok, tally.errors, percentile(all, 0.5), percentile(all, 0.99),
              all.empty() ? 0.0 : *std::max_element(all.begin(), all.end()));
  return tally.errors == 0 && tally.ok == count ? 0 : 1;
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
    std::cerr << "usage: ocipfs_bench gateway|cid|manifest|image-document|cold|cold-image|"
                 "cold-each|fill|fill-image|startup|null-server [--flag=value...]\n";
    return 2;
  }
  std::string command = argv[1];
  auto flags = parse_flags(argc, argv, 2);
  if (command == "gateway") return run_gateway(flags);
  if (command == "null-server") return run_null_server(flags);
  if (command == "cid" && flags.count("image"))
    return std::printf(
               "%s\n",
               image_cid(number(flags, "image", 0), number(flags, "image-layers", 100)).c_str()) <
           0;
  if (command == "cid")
    return std::printf("%s\n", cid_of(manifest(number(flags, "index", 0))).c_str()) < 0;
  if (command == "image-document")
    return std::printf("%s\n",
                       image_document(number(flags, "image", 0), number(flags, "image-layers", 100))
                           .c_str()) < 0;
  if (command == "manifest")
    return std::printf("%s\n", manifest(number(flags, "index", 0)).c_str()) < 0;
  if (command == "cold") return run_cold(flags);
  if (command == "cold-image") return run_cold_image(flags);
  if (command == "cold-each") return run_cold_each(flags);
  if (command == "fill") return run_fill(flags, false);
  if (command == "fill-image") return run_fill(flags, true);
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
