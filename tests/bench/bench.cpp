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
// - fill --port=P --count=N [--first=F] [--concurrency=C] [--paths-file=PATH] [--save-dir=DIR]
//   [--pulls-file=PATH]: layer/<CID of manifest(i)>, F <= i < N; with --paths-file, asked for
//   the OCI manifest (Accept: application/vnd.oci.image.manifest.v1+json) and PATH gets one line
//   per image, /v2/layer/<CID>/manifests/<its Docker-Content-Digest>, in index order; with
//   --pulls-file, each image is pulled as docker does (the tag with docker's Accept list, the
//   linux/amd64 manifest by digest, the config) and PATH gets one line per image, in index
//   order: "CID INDEX-DIGEST MANIFEST-DIGEST CONFIG-DIGEST LAYER-DIGEST"; --save-dir=DIR writes
//   each document fetched as DIR/{index,manifest,config}/<hex of its digest>
// - fill-image --port=P --count=N --image-layers=L [--first=F] [--concurrency=C]: the images
//   F <= j < N
// - startup --runs=N -- OCIPFSD ARGS...
// - null-server [--port-file=PATH] [--body-bytes=B]: the do-nothing reference server, one
//   thread: every request gets a 200 of B bytes (target /N: N bytes; HEAD: the Content-Length
//   only), with keep-alive
// - floor-server --response=FILE [--port-file=PATH]: the floor, what loopback TCP costs: one
//   thread, epoll, nonblocking sockets; for every request head (found by its "\r\n\r\n", nothing
//   else is parsed) it writes the bytes of FILE, a complete HTTP response, as they are
// - load --port=P (--path=T [--method=M] [--accept=A] [--if-none-match=E] | --requests-file=F)
//   [--connections=N] [--seconds=S]: a closed-loop HTTP/1.1 load client (epoll, N keep-alive
//   connections, one request in flight on each) that knows a HEAD, 304 or 1xx answer has no
//   body. F holds "METHOD PATH [ACCEPT]" lines (ACCEPT: docker for docker's Accept list, oci for
//   the OCI manifest), sent in order, round robin. Prints one line like wrk.lua's:
//   "load-result requests= duration_us= p50_us= p99_us= max_us= connect= read= write= status=
//   timeout= client_cpu_us=" (status: answers >= 400; client_cpu_us: its own CPU per request)
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
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
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
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

// --- floor-server and load: plain epoll, no Asio ---

// A listening socket on 127.0.0.1, port chosen by the OS; its port goes to --port-file (or
// stdout) as the other servers' does.
int listen_loopback(const std::map<std::string, std::string>& flags) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int on = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      listen(fd, 4096) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    std::perror("ocipfs_bench: listen");
    std::exit(1);
  }
  unsigned port = ntohs(address.sin_port);
  if (auto it = flags.find("port-file"); it != flags.end()) {
    std::ofstream(it->second + ".tmp") << port << "\n";
    std::rename((it->second + ".tmp").c_str(), it->second.c_str());
  } else {
    std::cout << port << std::endl;
  }
  return fd;
}

// One connection of the floor server: how much of "\r\n\r\n" the last bytes read matched, and
// the answers owed (the first of them `written` bytes in).
struct FloorConnection {
  int matched = 0;
  std::size_t owed = 0;
  std::size_t written = 0;
  bool waiting_to_write = false;
};

// Counts the request heads that end in DATA, carrying the match of "\r\n\r\n" across reads.
std::size_t count_heads(const char* data, std::size_t size, int& matched) {
  static constexpr char end[] = "\r\n\r\n";
  std::size_t heads = 0;
  for (std::size_t i = 0; i < size; ++i) {
    if (data[i] == end[matched]) {
      if (++matched == 4) {
        ++heads;
        matched = 0;
      }
    } else {
      matched = data[i] == '\r' ? 1 : 0;
    }
  }
  return heads;
}

// Writes what CONNECTION owes; false when the connection is done for. Leaves `owed` > 0 when
// the socket's buffer is full.
bool floor_write(int fd, FloorConnection& connection, const std::string& response) {
  while (connection.owed > 0) {
    ssize_t n = send(fd, response.data() + connection.written, response.size() - connection.written,
                     MSG_NOSIGNAL);
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    connection.written += static_cast<std::size_t>(n);
    if (connection.written == response.size()) {
      connection.written = 0;
      --connection.owed;
    }
  }
  return true;
}

// Accepts every pending connection, nonblocking, into EPOLL; CONNECTIONS grows to index them.
void floor_accept(int listener, int epoll, std::vector<FloorConnection>& connections) {
  for (int client; (client = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK)) >= 0;) {
    int on = 1;
    setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    if (static_cast<std::size_t>(client) >= connections.size())
      connections.resize(static_cast<std::size_t>(client) * 2);
    epoll_event add{EPOLLIN, {.fd = client}};
    epoll_ctl(epoll, EPOLL_CTL_ADD, client, &add);
  }
}

// Reads what FD has (EVENTS from epoll), owes an answer per request head that ends in it, and
// writes what it can; false when the connection is done for.
bool floor_serve(int fd, std::uint32_t events, FloorConnection& connection,
                 const std::string& response) {
  static char input[64 * 1024];
  if (events & EPOLLIN) {
    ssize_t n = recv(fd, input, sizeof input, 0);
    if (n > 0)
      connection.owed += count_heads(input, static_cast<std::size_t>(n), connection.matched);
    else if (n == 0 || (errno != EAGAIN && errno != EINTR))
      return false;
  } else if (events & (EPOLLERR | EPOLLHUP)) {
    return false;
  }
  return floor_write(fd, connection, response);
}

int run_floor_server(const std::map<std::string, std::string>& flags) {
  std::string response;
  if (auto it = flags.find("response"); it != flags.end()) {
    std::ifstream in(it->second, std::ios::binary);
    response.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  if (response.empty()) {
    std::cerr << "ocipfs_bench: floor-server needs --response=FILE, a complete HTTP response\n";
    return 2;
  }
  int listener = listen_loopback(flags);
  int epoll = epoll_create1(0);
  epoll_event event{EPOLLIN, {.fd = listener}};
  epoll_ctl(epoll, EPOLL_CTL_ADD, listener, &event);
  std::vector<FloorConnection> connections(1024);
  epoll_event events[256];
  for (;;) {
    int ready = epoll_wait(epoll, events, 256, -1);
    for (int e = 0; e < ready; ++e) {
      int fd = events[e].data.fd;
      if (fd == listener) {
        floor_accept(listener, epoll, connections);
        continue;
      }
      auto& connection = connections[static_cast<std::size_t>(fd)];
      if (!floor_serve(fd, events[e].events, connection, response)) {
        close(fd);
        connection = {};
        continue;
      }
      // Waits for room to write only while it owes answers.
      if ((connection.owed > 0) != connection.waiting_to_write) {
        connection.waiting_to_write = connection.owed > 0;
        epoll_event change{connection.waiting_to_write ? EPOLLIN | EPOLLOUT : EPOLLIN, {.fd = fd}};
        epoll_ctl(epoll, EPOLL_CTL_MOD, fd, &change);
      }
    }
  }
}

// --- load ---

// Latencies in microseconds: one bucket per microsecond up to a second, the rest counted apart.
struct Latencies {
  std::vector<std::uint32_t> buckets = std::vector<std::uint32_t>(1'000'000);
  std::vector<double> slow;  // over a second
  double max = 0;
  std::uint64_t count = 0;

  void add(double us) {
    ++count;
    max = std::max(max, us);
    if (us < static_cast<double>(buckets.size()))
      ++buckets[static_cast<std::size_t>(us)];
    else
      slow.push_back(us);
  }
  double percentile(double p) {
    auto rank = static_cast<std::uint64_t>(p * static_cast<double>(count));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < buckets.size(); ++i)
      if ((seen += buckets[i]) > rank) return static_cast<double>(i);
    std::sort(slow.begin(), slow.end());
    return slow.empty() ? max : slow[std::min<std::size_t>(rank - seen, slow.size() - 1)];
  }
};

struct LoadRequest {
  std::string bytes;
  bool head = false;
};

// What `load` sends: one request from the flags, or the lines of --requests-file (each distinct
// line once in `requests`, the order in `sequence`).
struct LoadPlan {
  std::vector<LoadRequest> requests;
  std::vector<std::uint32_t> sequence;
};

constexpr std::string_view oci_manifest_type = "application/vnd.oci.image.manifest.v1+json";
constexpr std::string_view docker_accept =
    "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.docker.distribution.manifest.v2+json";

LoadRequest load_request(const std::string& method, const std::string& path, long port,
                         std::string_view accept, std::string_view if_none_match) {
  std::string bytes =
      method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\n";
  if (!accept.empty()) bytes += "Accept: " + std::string(accept) + "\r\n";
  if (!if_none_match.empty()) bytes += "If-None-Match: " + std::string(if_none_match) + "\r\n";
  return {bytes + "\r\n", method == "HEAD"};
}

LoadPlan load_plan(const std::map<std::string, std::string>& flags, long port) {
  LoadPlan plan;
  auto file = flags.find("requests-file");
  if (file == flags.end()) {
    auto get = [&](const char* name) {
      auto it = flags.find(name);
      return it == flags.end() ? std::string() : it->second;
    };
    std::string method = get("method");
    plan.requests.push_back(load_request(method.empty() ? "GET" : method, flags.at("path"), port,
                                         get("accept"), get("if-none-match")));
    plan.sequence.push_back(0);
    return plan;
  }
  std::ifstream in(file->second);
  std::unordered_map<std::string, std::uint32_t> seen;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    auto [it, added] = seen.emplace(line, static_cast<std::uint32_t>(plan.requests.size()));
    if (added) {
      std::istringstream fields(line);
      std::string method, path, accept;
      fields >> method >> path >> accept;
      std::string_view header = accept == "docker" ? docker_accept
                                : accept == "oci"  ? oci_manifest_type
                                                   : "";
      plan.requests.push_back(load_request(method, path, port, header, ""));
    }
    plan.sequence.push_back(it->second);
  }
  return plan;
}

// One connection of `load`: the answer read so far, and the request it answers.
struct LoadConnection {
  int fd = -1;
  std::vector<char> input = std::vector<char>(64 * 1024);
  std::size_t length = 0;
  std::size_t expected = 0;  // the whole answer's bytes, once its head is in
  bool head = false;
  Clock::time_point sent;
};

// The bytes of the answer whose head is DATA[0, head_size): the head, and a body of its
// Content-Length unless the request was a HEAD or the status has no body.
std::size_t answer_size(const char* data, std::size_t head_size, bool head, int status) {
  if (head || status == 304 || status == 204 || status < 200) return head_size;
  static constexpr std::string_view name = "\r\ncontent-length:";
  std::string_view text(data, head_size);
  for (std::size_t i = 0; i + name.size() < text.size(); ++i) {
    std::size_t j = 0;
    while (j < name.size() && std::tolower(static_cast<unsigned char>(text[i + j])) == name[j]) ++j;
    if (j == name.size()) return head_size + std::strtoul(text.data() + i + j, nullptr, 10);
  }
  return head_size;
}

struct LoadCounts {
  std::uint64_t requests = 0, connect = 0, read = 0, write = 0, status = 0, timeout = 0;
};

class Load {
 public:
  Load(LoadPlan plan, long port) : plan_(std::move(plan)), port_(port) {}

  // Runs N connections for SECONDS; false when no connection could be made.
  bool run(long connections, double seconds, Latencies& latencies, LoadCounts& counts) {
    epoll_ = epoll_create1(0);
    connections_.resize(static_cast<std::size_t>(connections));
    for (auto& connection : connections_)
      if (!open(connection)) ++counts.connect;
    auto end = Clock::now() + std::chrono::duration<double>(seconds);
    epoll_event events[256];
    while (Clock::now() < end) {
      int ready = epoll_wait(epoll_, events, 256, 50);
      for (int e = 0; e < ready; ++e)
        on_readable(*static_cast<LoadConnection*>(events[e].data.ptr), latencies, counts);
    }
    auto now = Clock::now();
    for (auto& connection : connections_) {
      if (connection.fd >= 0 && now - connection.sent > std::chrono::seconds(5)) ++counts.timeout;
      if (connection.fd >= 0) close(connection.fd);
    }
    return counts.connect < static_cast<std::uint64_t>(connections);
  }

 private:
  bool open(LoadConnection& connection) {
    connection.fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<std::uint16_t>(port_));
    if (connection.fd < 0 ||
        connect(connection.fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      if (connection.fd >= 0) close(connection.fd);
      connection.fd = -1;
      return false;
    }
    int on = 1;
    setsockopt(connection.fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    fcntl(connection.fd, F_SETFL, fcntl(connection.fd, F_GETFL) | O_NONBLOCK);
    epoll_event add{};
    add.events = EPOLLIN;
    add.data.ptr = &connection;
    epoll_ctl(epoll_, EPOLL_CTL_ADD, connection.fd, &add);
    return send_next(connection);
  }

  bool send_next(LoadConnection& connection) {
    const auto& request = plan_.requests[plan_.sequence[next_++ % plan_.sequence.size()]];
    connection.head = request.head;
    connection.length = 0;
    connection.expected = 0;
    connection.sent = Clock::now();
    return send(connection.fd, request.bytes.data(), request.bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(request.bytes.size());
  }

  void reopen(LoadConnection& connection, std::uint64_t& errors, LoadCounts& counts) {
    ++errors;
    close(connection.fd);
    if (!open(connection)) ++counts.connect;
  }

  void on_readable(LoadConnection& connection, Latencies& latencies, LoadCounts& counts) {
    auto& input = connection.input;
    if (connection.length == input.size()) input.resize(input.size() * 2);
    ssize_t n =
        recv(connection.fd, input.data() + connection.length, input.size() - connection.length, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n <= 0) return reopen(connection, counts.read, counts);
    connection.length += static_cast<std::size_t>(n);
    if (connection.expected == 0) {
      std::string_view text(input.data(), connection.length);
      auto end = text.find("\r\n\r\n");
      if (end == std::string_view::npos) return;
      int status = text.size() > 12 ? std::atoi(text.data() + 9) : 0;
      connection.expected = answer_size(text.data(), end + 4, connection.head, status);
      if (status >= 400) ++counts.status;
    }
    if (connection.length < connection.expected) return;
    latencies.add(
        std::chrono::duration<double, std::micro>(Clock::now() - connection.sent).count());
    ++counts.requests;
    if (!send_next(connection)) reopen(connection, counts.write, counts);
  }

  LoadPlan plan_;
  long port_;
  int epoll_ = -1;
  std::uint64_t next_ = 0;
  std::vector<LoadConnection> connections_;
};

// The CPU time this process has used, in microseconds.
double own_cpu_us() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e6 +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

int run_load(const std::map<std::string, std::string>& flags) {
  long port = number(flags, "port", 0);
  LoadPlan plan = load_plan(flags, port);
  if (plan.sequence.empty()) {
    std::cerr << "ocipfs_bench: load has no request to send\n";
    return 2;
  }
  double seconds = static_cast<double>(number(flags, "seconds", 5));
  Latencies latencies;
  LoadCounts counts;
  Load load(std::move(plan), port);
  auto started = Clock::now();
  double cpu_before = own_cpu_us();
  bool connected = load.run(number(flags, "connections", 32), seconds, latencies, counts);
  auto duration = std::chrono::duration<double, std::micro>(Clock::now() - started).count();
  double cpu_us = own_cpu_us() - cpu_before;  // the load's, not the reading of the requests
  std::printf(
      "load-result requests=%llu duration_us=%.0f p50_us=%.1f p99_us=%.1f max_us=%.1f "
      "connect=%llu read=%llu write=%llu status=%llu timeout=%llu client_cpu_us=%.1f\n",
      static_cast<unsigned long long>(counts.requests), duration, latencies.percentile(0.5),
      latencies.percentile(0.99), latencies.max, static_cast<unsigned long long>(counts.connect),
      static_cast<unsigned long long>(counts.read), static_cast<unsigned long long>(counts.write),
      static_cast<unsigned long long>(counts.status),
      static_cast<unsigned long long>(counts.timeout),
      counts.requests == 0 ? 0.0 : cpu_us / static_cast<double>(counts.requests));
  return connected && counts.requests > 0 ? 0 : 1;
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

// What `fill` writes besides caching: the manifest paths by digest (--paths-file), the
// digests of a docker pull (--pulls-file), and each document fetched (--save-dir). One slot per
// image, in index order.
struct FillOutputs {
  std::vector<std::string>* paths = nullptr;
  std::vector<std::string>* pulls = nullptr;
  std::string save_dir;
};

// One GET on a kept-alive connection; no answer when the connection failed.
asio::awaitable<std::optional<http::response<http::string_body>>> fill_get(
    beast::tcp_stream& stream, beast::flat_buffer& buffer, std::string target,
    std::string_view accept) {
  http::request<http::empty_body> request{http::verb::get, target, 11};
  request.set(http::field::host, "127.0.0.1");
  if (!accept.empty()) request.set(http::field::accept, accept);
  stream.expires_after(std::chrono::seconds(60));
  auto [write_error, w] = co_await http::async_write(stream, request, use_tuple);
  http::response<http::string_body> response;
  auto [read_error, r] = co_await http::async_read(stream, buffer, response, use_tuple);
  if (write_error || read_error) co_return std::nullopt;
  co_return response;
}

// Writes BODY as DIR/KIND/<hex of DIGEST>; false when it could not.
bool save_document(const std::string& dir, const char* kind, std::string_view digest,
                   const std::string& body) {
  if (dir.empty()) return true;
  auto hex = digest.substr(digest.find(':') + 1);
  std::ofstream out(dir + "/" + kind + "/" + std::string(hex), std::ios::binary);
  return static_cast<bool>(out.write(body.data(), static_cast<std::streamsize>(body.size())));
}

// The digest of the linux/amd64 manifest in an index, or "" when it has none or is no index.
std::string linux_amd64_digest(const std::string& index) {
  auto document = nlohmann::json::parse(index, nullptr, false);
  if (!document.is_object() || !document["manifests"].is_array()) return "";
  for (const auto& entry : document["manifests"])
    if (entry.is_object() && entry["platform"].is_object() &&
        entry["platform"].value("os", "") == "linux" &&
        entry["platform"].value("architecture", "") == "amd64")
      return entry.value("digest", "");
  return "";
}

// The config's digest and the first layer's of an image manifest, or "" for what it lacks.
std::pair<std::string, std::string> config_and_layer(const std::string& manifest) {
  auto document = nlohmann::json::parse(manifest, nullptr, false);
  if (!document.is_object() || !document["config"].is_object() || !document["layers"].is_array() ||
      document["layers"].empty() || !document["layers"][0].is_object())
    return {};
  return {document["config"].value("digest", ""), document["layers"][0].value("digest", "")};
}

// Pulls layer/<CID> as docker does (the tag with docker's Accept list, the linux/amd64 manifest
// by digest, the config): "CID INDEX MANIFEST CONFIG LAYER" (digests), or nothing on a failure.
asio::awaitable<std::string> fill_pull(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                       const std::string& tag_target, const std::string& dir) {
  auto base = tag_target.substr(0, tag_target.rfind("/manifests/"));
  auto index = co_await fill_get(stream, buffer, tag_target, docker_accept);
  if (!index || index->result() != http::status::ok) co_return "";
  std::string index_digest((*index)["Docker-Content-Digest"]);
  std::string manifest_digest = linux_amd64_digest(index->body());
  if (manifest_digest.empty()) co_return "";
  auto manifest =
      co_await fill_get(stream, buffer, base + "/manifests/" + manifest_digest, docker_accept);
  if (!manifest || manifest->result() != http::status::ok) co_return "";
  auto [config_digest, layer_digest] = config_and_layer(manifest->body());
  if (layer_digest.empty()) co_return "";
  auto config = co_await fill_get(stream, buffer, base + "/blobs/" + config_digest, "");
  if (!config || config->result() != http::status::ok) co_return "";
  if (!save_document(dir, "index", index_digest, index->body()) ||
      !save_document(dir, "manifest", manifest_digest, manifest->body()) ||
      !save_document(dir, "config", config_digest, config->body()))
    co_return "";
  co_return base.substr(base.rfind('/') + 1) + " " + index_digest + " " + manifest_digest + " " +
      config_digest + " " + layer_digest;
}

asio::awaitable<void> fill_worker(tcp::endpoint endpoint, long& next, long first, long count,
                                  Tally& tally, TargetOf target_of, long layers,
                                  FillOutputs outputs) {
  beast::tcp_stream stream(co_await asio::this_coro::executor);
  auto [connect_error] = co_await stream.async_connect(endpoint, use_tuple);
  if (connect_error) co_return;
  beast::flat_buffer buffer;
  while (next < count) {
    long index = next++;
    auto slot = static_cast<std::size_t>(index - first);
    std::string target = target_of(index, layers);
    if (outputs.pulls) {
      auto line = co_await fill_pull(stream, buffer, target, outputs.save_dir);
      line.empty() ? ++tally.errors : ++tally.ok;
      (*outputs.pulls)[slot] = std::move(line);
      continue;
    }
    auto response = co_await fill_get(stream, buffer, target,
                                      outputs.paths ? oci_manifest_type : std::string_view());
    if (!response) {
      ++tally.errors;
      co_return;
    }
    response->result() == http::status::ok ? ++tally.ok : ++tally.errors;
    if (!outputs.paths || response->result() != http::status::ok) continue;
    auto digest = (*response)["Docker-Content-Digest"];
    record_path(*outputs.paths, static_cast<long>(slot), target, digest);
    if (!save_document(outputs.save_dir, "manifest", digest, response->body())) ++tally.errors;
  }
}

// Writes LINES to PATH, one a line; counts an empty or digest-less line as an error.
void write_lines(const std::string& path, const std::vector<std::string>& lines, Tally& tally) {
  std::ofstream out(path);
  for (const auto& line : lines) {
    if (line.empty() || line.back() == '/') ++tally.errors;
    out << line << "\n";
  }
  if (!out.flush()) ++tally.errors;
}

int run_fill(const std::map<std::string, std::string>& flags, bool images) {
  tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"),
                         static_cast<unsigned short>(number(flags, "port", 0)));
  long count = number(flags, "count", 1000);
  long first = number(flags, "first", 0);
  long next = first;
  auto paths_file = flags.find("paths-file");
  auto pulls_file = flags.find("pulls-file");
  std::vector<std::string> paths(static_cast<std::size_t>(std::max(0L, count - first)));
  std::vector<std::string> pulls(paths.size());
  FillOutputs outputs{paths_file == flags.end() ? nullptr : &paths,
                      pulls_file == flags.end() ? nullptr : &pulls,
                      flags.count("save-dir") ? flags.at("save-dir") : ""};
  if (!outputs.save_dir.empty())
    for (const char* kind : {"index", "manifest", "config"})
      std::filesystem::create_directories(outputs.save_dir + "/" + kind);
  Tally tally;
  auto started = Clock::now();
  asio::io_context ioc(1);
  for (long i = 0; i < number(flags, "concurrency", 64); ++i)
    asio::co_spawn(
        ioc,
        fill_worker(endpoint, next, first, count, tally, images ? image_target : layer_target,
                    number(flags, "image-layers", 100), outputs),
        asio::detached);
  ioc.run();
  if (outputs.paths) write_lines(paths_file->second, paths, tally);
  if (outputs.pulls) write_lines(pulls_file->second, pulls, tally);
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
    std::cerr
        << "usage: ocipfs_bench gateway|cid|manifest|image-document|cold|cold-image|"
           "cold-each|fill|fill-image|startup|null-server|floor-server|load [--flag=value...]\n";
    return 2;
  }
  std::string command = argv[1];
  auto flags = parse_flags(argc, argv, 2);
  if (command == "gateway") return run_gateway(flags);
  if (command == "null-server") return run_null_server(flags);
  if (command == "floor-server") return run_floor_server(flags);
  if (command == "load") return run_load(flags);
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
