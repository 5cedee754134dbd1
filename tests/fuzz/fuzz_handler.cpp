// Fuzzes the whole request handling: raw bytes into a real ocipfs::Server on 127.0.0.1:0, with a
// fake gateway behind it serving a few layer manifests. Every answer must be well-formed HTTP, and
// the server must close the connection soon after the client has sent everything.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "fuzz_check.hpp"
#include "ocipfs/base/log.hpp"
#include "ocipfs/formats/cid.hpp"
#include "ocipfs/formats/verify.hpp"
#include "ocipfs/server/config.hpp"
#include "ocipfs/server/server.hpp"
#include "support/fake_gateway.hpp"
#include "support/test_data.hpp"

namespace {

using namespace ocipfs;
using testing::FakeGateway;
using testing::FakeReply;

// How long the server may take to answer everything and close, once the client has sent it all.
constexpr std::chrono::milliseconds exchange_deadline{2000};

struct Harness {
  FakeGateway gateway;
  std::unique_ptr<Server> server;
  std::thread thread;
};

Harness* harness = nullptr;
std::uint16_t server_port = 0;

std::string dag_pb_cid_of(const std::string& block) {
  auto hash = sha256(block);
  return Cid{1, multicodec::dag_pb, multihash::sha2_256,
             std::string(reinterpret_cast<const char*>(hash.data()), hash.size())}
      .to_string();
}

// What the seeds in corpus/fuzz_handler ask for (by base32 or base36 names).
void publish(FakeGateway& gateway) {
  // A layer manifest, tagged hello.tar.gz (testing::manifest_cid).
  gateway.serve_cid(testing::manifest_cid, testing::layer_manifest_json());
  // One for a single platform, tagged v1.0.
  std::string arm = testing::layer_manifest_json(
      "v1.0", R"("platform":{"os":"linux","architecture":"arm64","variant":"v8"},)");
  gateway.serve_cid(testing::raw_cid_of(arm), arm);
  // A UnixFS file (dag-pb), sent by the gateway as the file.
  std::string file = testing::layer_manifest_json("layer.tar");
  gateway.serve_cid(dag_pb_cid_of(encode_unixfs_file_block(file)), file);
  // Not a valid layer manifest.
  gateway.serve_cid(testing::raw_cid_of("{}"), "{}");
  // A gateway that fails, and one that lies.
  gateway.set("/ipfs/" + testing::raw_cid_of("broken"),
              {FakeReply::Kind::respond, 500, "", {}, {}});
  gateway.serve_cid(testing::raw_cid_of("liar"), "not what the CID names");
}

void stop_harness() {
  harness->server->stop();
  harness->thread.join();
  delete harness;
  harness = nullptr;
}

// Sends `input`, half-closes, and reads until the server closes. Aborts when it does not.
std::string send_and_read(std::uint16_t port, std::string_view input) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  FUZZ_CHECK(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int connected = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  if (connected != 0 && errno == EINTR) {
    // libFuzzer's timer signal interrupted the call, not the connection: wait for it.
    pollfd writable{fd, POLLOUT, 0};
    while (::poll(&writable, 1, -1) < 0 && errno == EINTR) {
    }
    int error = 0;
    socklen_t length = sizeof error;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
    connected = error == 0 ? 0 : -1;
    errno = error;
  }
  if (connected != 0) {
    std::fprintf(stderr, "fuzz_handler: cannot connect to the server: %s\n", std::strerror(errno));
    std::abort();
  }
  // The server may close early (a request with a body, a malformed one): then stop writing.
  for (std::size_t sent = 0; sent < input.size();) {
    ssize_t n = ::send(fd, input.data() + sent, input.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);

  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + exchange_deadline;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      std::fprintf(stderr, "fuzz_handler: the server did not close within %lld ms\n",
                   static_cast<long long>(exchange_deadline.count()));
      std::abort();
    }
    pollfd ready{fd, POLLIN, 0};
    int polled = ::poll(&ready, 1, static_cast<int>(left.count()));
    if (polled < 0 && errno == EINTR) continue;
    FUZZ_CHECK(polled >= 0);
    if (polled == 0) continue;
    char chunk[16 * 1024];
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    // A reset is how a close with unread request bytes looks.
    if (n < 0 && errno == ECONNRESET) break;
    FUZZ_CHECK(n >= 0);
    if (n == 0) break;
    out.append(chunk, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

bool is_token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_status(unsigned status) {
  switch (status) {
    case 200:
    case 302:
    case 304:
    case 400:
    case 404:
    case 405:
    case 414:
    case 431:
    case 502:
    case 503:
    case 504:
      return true;
    default:
      return false;
  }
}

// Checks one answer at the front of `out` and removes it.
void check_answer(std::string_view& out) {
  constexpr std::string_view version = "HTTP/1.1 ";
  FUZZ_CHECK(out.starts_with(version));
  auto head_end = out.find("\r\n\r\n");
  FUZZ_CHECK(head_end != std::string_view::npos);
  std::string_view head = out.substr(0, head_end + 2);
  out.remove_prefix(head_end + 4);

  // The status line: "HTTP/1.1 NNN Reason".
  auto line_end = head.find("\r\n");
  std::string_view status_line = head.substr(0, line_end);
  FUZZ_CHECK(status_line.size() > version.size() + 4);
  unsigned status = 0;
  for (char c : status_line.substr(version.size(), 3)) {
    FUZZ_CHECK(c >= '0' && c <= '9');
    status = status * 10 + static_cast<unsigned>(c - '0');
  }
  FUZZ_CHECK(is_status(status));
  FUZZ_CHECK(status_line[version.size() + 3] == ' ');
  FUZZ_CHECK(fuzz::is_printable(status_line));
  head.remove_prefix(line_end + 2);

  // Header fields: "Name: value", printable, with exactly one Content-Length except on 304.
  int lengths = 0;
  std::size_t content_length = 0;
  bool json = false;
  while (!head.empty()) {
    line_end = head.find("\r\n");
    std::string_view field = head.substr(0, line_end);
    head.remove_prefix(line_end + 2);
    auto colon = field.find(": ");
    FUZZ_CHECK(colon != std::string_view::npos && colon > 0);
    for (char c : field.substr(0, colon)) FUZZ_CHECK(is_token_char(c));
    FUZZ_CHECK(fuzz::is_printable(field));
    if (field == "Content-Type: application/json") json = true;
    if (field.substr(0, colon) == "Content-Length") {
      ++lengths;
      std::string_view digits = field.substr(colon + 2);
      FUZZ_CHECK(!digits.empty() && digits.size() < 18);
      content_length = 0;
      for (char c : digits) {
        FUZZ_CHECK(c >= '0' && c <= '9');
        content_length = content_length * 10 + static_cast<std::size_t>(c - '0');
      }
    }
  }
  FUZZ_CHECK(lengths == (status == 304 ? 0 : 1));

  // No body (an answer to HEAD, as no body starts like an answer), or Content-Length bytes; then
  // the end or the next answer.
  auto at_boundary = [&](std::size_t skip) {
    return skip <= out.size() && (skip == out.size() || out.substr(skip).starts_with(version));
  };
  if (at_boundary(0)) return;
  FUZZ_CHECK(at_boundary(content_length));
  // Errors are OCI errors; only /readyz says 503 in plain text.
  if (status >= 400 && status != 503) FUZZ_CHECK(json);
  if (status >= 400 && json) FUZZ_CHECK(fuzz::is_oci_error(out.substr(0, content_length), status));
  out.remove_prefix(content_length);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  setup_logging(LogFormat::text, "off");
  harness = new Harness;
  publish(harness->gateway);

  Config config;
  config.listen.host = "127.0.0.1";
  config.listen.port = 0;
  config.listen.threads = 1;
  config.gateway.urls = {*parse_http_url(harness->gateway.url())};
  config.gateway.redirect = *parse_redirect_gateway("https://public.example/base");
  config.gateway.client.timeout = std::chrono::milliseconds(300);
  config.limits.idle_timeout = std::chrono::milliseconds(500);
  config.limits.request_timeout = std::chrono::milliseconds(500);
  config.cache.bytes = 1024 * 1024;
  harness->server = std::make_unique<Server>(config);
  server_port = harness->server->port();
  harness->thread = std::thread([] { harness->server->run(); });
  std::atexit(stop_harness);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const std::string out = send_and_read(server_port, input);
  if (fuzz::verbose()) std::fprintf(stderr, "%s\n---\n", out.c_str());
  std::string_view rest = out;
  while (!rest.empty()) check_answer(rest);
  return 0;
}
