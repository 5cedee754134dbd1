// Abuse: connection storms, the connection limit, slow, silent and deaf clients, pipelining and
// oversized requests, against the real ocipfsd started as a child process. The daemon's
// descriptors and the test's are then counted apart: each process may hold 20,000.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "ocipfs/image/image.hpp"
#include "ocipfs/image/image_document.hpp"
#include "ocipfs/server/server.hpp"
#include "support/certificates.hpp"
#include "support/fake_gateway.hpp"
#include "support/http_client.hpp"
#include "support/rendered_image.hpp"
#include "support/sanitizers.hpp"
#include "support/test_data.hpp"

namespace ocipfs {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using testing::FakeGateway;
using ::testing::HasSubstr;
using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr const char* accept_all =
    "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json";

double ms_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

double ms_since(Clock::time_point from) { return ms_between(from, Clock::now()); }

// Checks `condition` every `step` until it holds or `limit` has passed; true when it held.
template <class Condition>
bool poll_until(milliseconds limit, Condition condition, milliseconds step = 10ms) {
  auto deadline = Clock::now() + limit;
  for (;;) {
    if (condition()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(step);
  }
}

// The soft limit on descriptors, raised to the hard one: 10,000 connections need it.
void raise_descriptor_limit() {
  rlimit limit{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
  limit.rlim_cur = limit.rlim_max;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &limit), 0) << std::strerror(errno);
}

rlim_t descriptor_limit() {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  return limit.rlim_cur;
}

// Resident-memory bounds hold for plain and ASan builds. The daemon under test is built like this
// test (daemon_path), and ThreadSanitizer keeps far more per allocation and per thread: 10,000
// idle connections took 19 KiB each under it, not 6.
constexpr long memory_factor = testing::thread_sanitized ? 4 : 1;
using testing::address_sanitized;

// --- HTTP answers, parsed by hand: the test must see exactly what went over the wire ---

struct Reply {
  unsigned status = 0;                         // 0: not an HTTP answer
  std::string head;                            // status line and header fields, as received
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;

  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

std::string lowercase(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// Takes one whole answer off the front of `data`; nullopt while it has not fully arrived. The
// answer to a HEAD request has a Content-Length but no body. Something that is not an HTTP answer
// comes back with status 0 and takes all of `data`.
std::optional<Reply> take_reply(std::string& data, bool head_request) {
  auto end = data.find("\r\n\r\n");
  if (end == std::string::npos) {
    if (data.size() > 64 * 1024) return Reply{0, std::exchange(data, {}), {}, {}};
    return std::nullopt;
  }
  Reply reply;
  reply.head = data.substr(0, end);
  unsigned status = 0;
  if (std::sscanf(reply.head.c_str(), "HTTP/1.%*1[01] %3u", &status) != 1 || status < 100) {
    reply.status = 0;
    reply.head = std::exchange(data, {});
    return reply;
  }
  reply.status = status;
  std::istringstream lines(reply.head);
  std::string line;
  std::getline(lines, line);  // the status line
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    auto value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    reply.headers[lowercase(line.substr(0, colon))] = value;
  }
  std::size_t length = 0;
  if (!head_request && status != 304 && status != 204)
    length = std::strtoul(reply.header("content-length").c_str(), nullptr, 10);
  if (data.size() < end + 4 + length) return std::nullopt;
  reply.body = data.substr(end + 4, length);
  data.erase(0, end + 4 + length);
  return reply;
}

std::string error_code_of(const Reply& reply) {
  auto document = nlohmann::json::parse(reply.body, nullptr, false);
  if (document.is_discarded() || !document.contains("errors") || document["errors"].empty() ||
      !document["errors"][0].contains("code"))
    return "(no OCI error in " + reply.body + ")";
  return document["errors"][0]["code"].get<std::string>();
}

// --- sockets ---

// One non-blocking TCP connection to 127.0.0.1, closed when destroyed.
class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) : fd_(fd) {}
  Socket(Socket&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Socket& operator=(Socket&& other) noexcept {
    if (this != &other) {
      close();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket() { close(); }

  int fd() const { return fd_; }
  bool is_open() const { return fd_ >= 0; }
  std::uint16_t local_port() const {
    sockaddr_in address{};
    socklen_t size = sizeof address;
    if (getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size) != 0) return 0;
    return ntohs(address.sin_port);
  }
  void close() {
    if (fd_ >= 0) ::close(std::exchange(fd_, -1));
  }

  // Starts connecting to 127.0.0.1:port; `receive_buffer` (bytes) is set first when non-zero.
  // Returns an invalid socket when the connect fails at once.
  static Socket start_connect(std::uint16_t port, int receive_buffer = 0) {
    Socket socket(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!socket.is_open()) return socket;
    if (receive_buffer > 0)
      setsockopt(socket.fd(), SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    int one = 1;
    setsockopt(socket.fd(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(socket.fd(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 &&
        errno != EINPROGRESS)
      socket.close();
    return socket;
  }

  // Connects and waits until the connection is established (not necessarily accepted).
  static Socket connect(std::uint16_t port, milliseconds limit = 5s, int receive_buffer = 0) {
    Socket socket = start_connect(port, receive_buffer);
    if (socket.is_open() && !socket.wait_connected(Clock::now() + limit)) socket.close();
    return socket;
  }

  bool wait_connected(Clock::time_point deadline) {
    pollfd entry{fd_, POLLOUT, 0};
    int left = std::max<int>(0, static_cast<int>(ms_between(Clock::now(), deadline)));
    if (::poll(&entry, 1, left) != 1) return false;
    return connect_error() == 0;
  }

  int connect_error() const {
    int error = 0;
    socklen_t size = sizeof error;
    if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &size) != 0) return errno;
    return error;
  }

  // Sends what the socket takes now: the bytes sent, or -1 when the connection is gone.
  long send_some(std::string_view data) {
    ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) return n;
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
  }

  // Sends all of `data` before `deadline`; false when the connection broke or time ran out.
  bool send_all(std::string_view data, Clock::time_point deadline) {
    while (!data.empty()) {
      long n = send_some(data);
      if (n < 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
      if (data.empty()) break;
      if (!wait_for(POLLOUT, deadline)) return false;
    }
    return true;
  }

  // Reads what has arrived into `inbox`. False once the peer has closed (end of stream or reset).
  bool drain_input() {
    char chunk[16384];
    for (;;) {
      ssize_t n = ::recv(fd_, chunk, sizeof chunk, MSG_DONTWAIT);
      if (n > 0) {
        inbox.append(chunk, static_cast<std::size_t>(n));
        continue;
      }
      if (n == 0) return false;
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
      return false;
    }
  }

  // Reads one answer before `deadline`.
  std::optional<Reply> read_reply(Clock::time_point deadline, bool head_request = false) {
    for (;;) {
      if (auto reply = take_reply(inbox, head_request)) return reply;
      if (!wait_for(POLLIN, deadline)) return std::nullopt;
      if (!drain_input()) {
        if (auto reply = take_reply(inbox, head_request)) return reply;
        return std::nullopt;
      }
    }
  }

  // One request, one answer, on this connection.
  std::optional<Reply> exchange(const std::string& request, milliseconds limit = 5s) {
    auto deadline = Clock::now() + limit;
    if (!send_all(request, deadline)) return std::nullopt;
    return read_reply(deadline, request.starts_with("HEAD "));
  }

  // Reads until the peer closes; true when it did before `deadline`.
  bool wait_closed(Clock::time_point deadline) {
    for (;;) {
      if (!drain_input()) return true;
      if (!wait_for(POLLIN | POLLRDHUP, deadline)) return false;
    }
  }

  // Whether the peer has closed or sent something, without reading or waiting.
  bool peer_closed_or_spoke() const {
    pollfd entry{fd_, POLLIN | POLLRDHUP, 0};
    return ::poll(&entry, 1, 0) == 1 && entry.revents != 0;
  }

  std::string inbox;  // received and not yet taken

 private:
  bool wait_for(short events, Clock::time_point deadline) {
    for (;;) {
      int left = static_cast<int>(ms_between(Clock::now(), deadline));
      if (left < 0) return false;
      pollfd entry{fd_, events, 0};
      int ready = ::poll(&entry, 1, left);
      if (ready > 0) return true;
      if (ready == 0) return false;
      if (errno != EINTR) return false;
    }
  }

  int fd_ = -1;
};

// Opens `count` connections, `batch` at a time, each batch established before the next starts.
// Connections that fail are left out (the caller checks the count).
std::vector<Socket> open_connections(std::uint16_t port, std::size_t count,
                                     milliseconds limit = 20s, std::size_t batch = 500) {
  std::vector<Socket> sockets;
  sockets.reserve(count);
  auto deadline = Clock::now() + limit;
  std::map<int, int> errors;  // errno -> how many
  while (sockets.size() < count && Clock::now() < deadline) {
    std::vector<Socket> pending;
    for (std::size_t i = 0; i < std::min(batch, count - sockets.size()); ++i) {
      Socket socket = Socket::start_connect(port);
      if (socket.is_open())
        pending.push_back(std::move(socket));
      else
        ++errors[errno];
    }
    std::vector<pollfd> entries;
    for (auto& socket : pending) entries.push_back({socket.fd(), POLLOUT, 0});
    std::size_t left = entries.size();
    while (left > 0 && Clock::now() < deadline) {
      if (::poll(entries.data(), entries.size(), 50) < 0 && errno != EINTR) break;
      for (std::size_t i = 0; i < entries.size(); ++i) {
        if (entries[i].fd < 0 || entries[i].revents == 0) continue;
        entries[i].fd = -1;
        --left;
        int error = pending[i].connect_error();
        if (error == 0)
          sockets.push_back(std::move(pending[i]));
        else
          ++errors[error];
      }
    }
    if (errors.size() > 0) break;
  }
  for (auto [error, n] : errors)
    ADD_FAILURE() << n << " connections failed: " << std::strerror(error);
  return sockets;
}

// How many of `sockets` the server has closed or written to.
std::size_t count_disturbed(const std::vector<Socket>& sockets) {
  std::vector<pollfd> entries;
  for (const auto& socket : sockets) entries.push_back({socket.fd(), POLLIN | POLLRDHUP, 0});
  if (entries.empty()) return 0;
  int ready = ::poll(entries.data(), entries.size(), 0);
  return ready < 0 ? sockets.size() : static_cast<std::size_t>(ready);
}

// The send queues (bytes written and not yet acknowledged) of the server's side of each
// connection to 127.0.0.1:server_port, by the client's port, from /proc/net/tcp.
std::map<std::uint16_t, std::uint64_t> send_queues(std::uint16_t server_port) {
  std::map<std::uint16_t, std::uint64_t> out;
  std::ifstream table("/proc/net/tcp");
  std::string line;
  std::getline(table, line);  // the column names
  while (std::getline(table, line)) {
    // "  sl: 0100007F:PORT 0100007F:PORT st tx_queue:rx_queue ...", in hexadecimal.
    unsigned local_ip = 0, local_port = 0, remote_ip = 0, remote_port = 0, state = 0;
    unsigned long tx_queue = 0, rx_queue = 0;
    if (std::sscanf(line.c_str(), " %*u: %x:%x %x:%x %x %lx:%lx", &local_ip, &local_port,
                    &remote_ip, &remote_port, &state, &tx_queue, &rx_queue) != 7)
      continue;
    if (local_port == server_port && remote_port != 0)
      out[static_cast<std::uint16_t>(remote_port)] = tx_queue;
  }
  return out;
}

// --- one conversation on one connection, for many connections at once ---

// What a client sends on one connection and how; what it got back and when the server closed it.
struct Flow {
  Socket socket;
  std::string outgoing;
  std::size_t burst = std::string::npos;  // sent at once; the rest one byte per `trickle`
  milliseconds trickle{1000};
  bool reads = true;  // false: never reads a byte (closure is still seen)

  std::size_t sent = 0;
  bool send_failed = false;
  std::optional<Clock::time_point> first_byte, next_byte;
  std::optional<Clock::time_point> closed_at;

  bool closed() const { return closed_at.has_value(); }
  std::optional<double> closed_after_first_byte_ms() const {
    if (!closed_at || !first_byte) return std::nullopt;
    return ms_between(*first_byte, *closed_at);
  }
};

// Runs every flow until the server has closed them all or `deadline` passes. `tick` runs about
// every 20 ms (to sample the server, say); it returns false to stop early. True when every flow
// was closed.
bool drive(std::vector<Flow>& flows, Clock::time_point deadline,
           const std::function<bool()>& tick = {}) {
  std::vector<pollfd> entries(flows.size());
  std::vector<std::size_t> which;
  for (;;) {
    auto now = Clock::now();
    // Send what is due.
    for (auto& flow : flows) {
      if (flow.closed() || flow.send_failed || flow.sent >= flow.outgoing.size()) continue;
      std::size_t limit = flow.outgoing.size();
      if (flow.first_byte && flow.burst != std::string::npos && flow.sent >= flow.burst) {
        if (now < *flow.next_byte) continue;
        limit = flow.sent + 1;
      } else if (flow.burst != std::string::npos) {
        limit = std::min(limit, flow.burst);
      }
      long n = flow.socket.send_some(
          std::string_view(flow.outgoing).substr(flow.sent, limit - flow.sent));
      if (n < 0) {
        flow.send_failed = true;
        if (!flow.reads) flow.closed_at = now;  // a broken pipe: the server is gone
        continue;
      }
      if (n > 0 && !flow.first_byte) flow.first_byte = now;
      flow.sent += static_cast<std::size_t>(n);
      if (flow.burst != std::string::npos && flow.sent >= flow.burst)
        flow.next_byte = now + flow.trickle;
    }
    bool all_closed = std::all_of(flows.begin(), flows.end(), [](auto& f) { return f.closed(); });
    if (all_closed || now >= deadline) return all_closed;

    // Wait up to 20 ms for input, closure, or room to send.
    entries.clear();
    which.clear();
    for (std::size_t i = 0; i < flows.size(); ++i) {
      auto& flow = flows[i];
      if (flow.closed()) continue;
      short events = POLLRDHUP;
      if (flow.reads) events |= POLLIN;
      bool bulk = flow.burst == std::string::npos || !flow.first_byte;
      if (!flow.send_failed && flow.sent < flow.outgoing.size() && bulk) events |= POLLOUT;
      entries.push_back({flow.socket.fd(), events, 0});
      which.push_back(i);
    }
    int ready = ::poll(entries.data(), entries.size(), 20);
    if (ready < 0 && errno != EINTR) return false;
    now = Clock::now();
    for (std::size_t k = 0; ready > 0 && k < entries.size(); ++k) {
      auto& flow = flows[which[k]];
      short revents = entries[k].revents;
      if (flow.reads && (revents & (POLLIN | POLLRDHUP | POLLHUP | POLLERR))) {
        if (!flow.socket.drain_input()) flow.closed_at = now;
      } else if (!flow.reads && (revents & (POLLRDHUP | POLLHUP | POLLERR))) {
        flow.closed_at = now;
      }
    }
    if (tick && !tick()) return false;
  }
}

// --- the daemon, as a child process ---

// The ocipfsd under test: this build's, or $ABUSE_OCIPFSD (another build of it, say with
// sanitizers).
std::string daemon_path() {
  const char* other = std::getenv("ABUSE_OCIPFSD");
  return other && *other ? other : OCIPFSD_PATH;
}

// ocipfsd on a free port of 127.0.0.1, started from daemon_path(). Its output goes to a file that
// is printed when the test fails. Stopped with SIGTERM (then SIGKILL) when destroyed.
class Daemon {
 public:
  // `open_files`, when not 0, is the daemon's hard and soft limit on descriptors. `output`, when
  // not -1, is where its stdout and stderr go instead of the log file.
  explicit Daemon(const std::vector<std::string>& flags, rlim_t open_files = 0, int output = -1)
      : open_files_(open_files) {
    char path[] = "/tmp/ocipfs-abuse-XXXXXX";
    int log = mkstemp(path);
    if (log < 0) throw std::runtime_error("mkstemp failed");
    log_path_ = path;
    // A port that was free a moment ago may be taken by someone else by now: try another.
    for (int attempt = 0; attempt < 5 && !started_; ++attempt) {
      port_ = testing::free_port();
      spawn(flags, output == -1 ? log : output);
      started_ =
          poll_until(10s, [&] { return !running() || Socket::connect(port_, 1s).is_open(); });
      started_ = started_ && running();
      if (!started_) stop();
    }
    ::close(log);
  }
  ~Daemon() {
    stop();
    if (::testing::Test::HasFailure()) std::fprintf(stderr, "ocipfsd's log:\n%s\n", log().c_str());
    std::remove(log_path_.c_str());
  }
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  bool started() const { return started_; }
  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }

  bool running() {
    if (pid_ <= 0) return false;
    int status = 0;
    pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      exit_status_ = decode(status);
      pid_ = -1;
      return false;
    }
    return true;
  }

  // SIGTERM, then up to 10 s to drain and exit (then SIGKILL). Returns the exit code, or 128 plus
  // the signal that ended it.
  int stop() {
    if (running()) kill(pid_, SIGTERM);
    return wait(10s);
  }

  // Waits up to `limit` for the daemon to exit by itself (then SIGKILL); returns as stop() does.
  int wait(milliseconds limit) {
    if (!poll_until(limit, [&] { return !running(); }) && pid_ > 0) {
      kill(pid_, SIGKILL);
      int status = 0;
      waitpid(pid_, &status, 0);
      exit_status_ = decode(status);
      pid_ = -1;
    }
    return exit_status_;
  }

  // Open descriptors (/proc/PID/fd), or 0.
  std::size_t descriptors() const {
    std::error_code ec;
    std::size_t count = 0;
    for (std::filesystem::directory_iterator it("/proc/" + std::to_string(pid_) + "/fd", ec), end;
         !ec && it != end; it.increment(ec))
      ++count;
    return count;
  }

  // Resident memory in KiB (VmRSS), or -1.
  long rss_kib() const {
    std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
    std::string line;
    while (std::getline(status, line))
      if (line.starts_with("VmRSS:")) return std::strtol(line.c_str() + 6, nullptr, 10);
    return -1;
  }

  std::string log() const {
    std::ifstream file(log_path_);
    std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    return text.size() > 4096 ? "..." + text.substr(text.size() - 4096) : text;
  }

  // The answer to a GET on a new connection, within 10 s (status 0 when there was none).
  Reply get(const std::string& target, const Headers& headers = {},
            milliseconds limit = 10s) const {
    std::string request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    for (const auto& [name, value] : headers) request += name + ": " + value + "\r\n";
    request += "\r\n";
    Socket socket = Socket::connect(port_);
    if (!socket.is_open()) return {};
    return socket.exchange(request, limit).value_or(Reply{});
  }

  // A sample from /metrics, e.g. "ocipfs_open_connections"; nullopt when absent. The request for
  // /metrics is itself one open connection.
  std::optional<double> metric(const std::string& series) const {
    return metric_in(get("/metrics").body, series);
  }

  static std::optional<double> metric_in(const std::string& text, const std::string& series) {
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line))
      if (line.starts_with(series + " ")) return std::strtod(line.c_str() + series.size(), nullptr);
    return std::nullopt;
  }

 private:
  static int decode(int status) {
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  void spawn(const std::vector<std::string>& flags, int log) {
    std::vector<std::string> args = {daemon_path(), "--listen=127.0.0.1:" + std::to_string(port_)};
    args.insert(args.end(), flags.begin(), flags.end());
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    pid_t parent = getpid();
    pid_ = fork();
    if (pid_ == 0) {
      // Only async-signal-safe calls between fork and exec: the test process has threads.
      // If the test dies, so does the daemon.
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(127);
      dup2(log, STDOUT_FILENO);
      dup2(log, STDERR_FILENO);
      if (open_files_ != 0) {
        rlimit limit{open_files_, open_files_};
        setrlimit(RLIMIT_NOFILE, &limit);
      }
      close_range(3, ~0U, 0);  // the test's sockets are not the daemon's
      execv(argv[0], argv.data());
      _exit(127);
    }
  }

  rlim_t open_files_ = 0;
  std::string log_path_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  bool started_ = false;
  int exit_status_ = -1;
};

// --- ordinary clients beside the abuse ---

// A request a well-behaved client makes, and what the answer must be.
struct Probe {
  std::string target;
  Headers headers;
  unsigned status = 200;
  std::string digest;  // Docker-Content-Digest, when not empty
};

struct Latencies {
  std::vector<double> ms;
  std::vector<std::string> failures;

  double percentile(double p) const {
    if (ms.empty()) return 0;
    auto sorted = ms;
    std::sort(sorted.begin(), sorted.end());
    return sorted[static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1))];
  }
  double max() const { return ms.empty() ? 0 : *std::max_element(ms.begin(), ms.end()); }
  std::string summary() const {
    char text[160];
    std::snprintf(text, sizeof text, "%zu requests: p50 %.2f ms, p99 %.2f ms, max %.2f ms",
                  ms.size(), percentile(0.5), percentile(0.99), max());
    return text;
  }
};

// Whether `result` (an answer `started` then) is what `probe` expects: its latency, or a failure.
template <class Result>
void record(const Probe& probe, const Result& result, Clock::time_point started, Latencies& out) {
  double elapsed = ms_since(started);
  if (result.status != probe.status) {
    out.failures.push_back(probe.target + " answered " + std::to_string(result.status));
  } else if (!probe.digest.empty() && result.header("docker-content-digest") != probe.digest) {
    out.failures.push_back(probe.target + " has digest " + result.header("docker-content-digest"));
  } else {
    out.ms.push_back(elapsed);
  }
}

// One request on a new connection: its latency, or a failure.
void probe_once(const Daemon& daemon, const Probe& probe, Latencies& out) {
  auto started = Clock::now();
  record(probe, daemon.get(probe.target, probe.headers), started, out);
}

// One request on a new TLS connection (handshake included) that trusts `ca_file`.
void probe_tls_once(const Daemon& daemon, const std::string& ca_file, const Probe& probe,
                    Latencies& out) {
  auto started = Clock::now();
  testing::TlsClient client(daemon.port(), ca_file);
  record(probe, client.request(probe.target, probe.headers), started, out);
}

Latencies probe_in_turn(const Daemon& daemon, const std::vector<Probe>& probes, int count) {
  Latencies out;
  for (int i = 0; i < count; ++i) probe_once(daemon, probes[i % probes.size()], out);
  return out;
}

// Sends the probes in turn from its own thread until finished: what an ordinary client sees
// while others abuse the server.
class Prober {
 public:
  // Over TLS, trusting `ca_file`, when it is not empty.
  Prober(const Daemon& daemon, std::vector<Probe> probes, std::string ca_file = {})
      : thread_([this, &daemon, probes = std::move(probes), ca_file = std::move(ca_file)] {
          for (std::size_t i = 0; !stop_.load(); ++i) {
            const Probe& probe = probes[i % probes.size()];
            if (ca_file.empty())
              probe_once(daemon, probe, latencies_);
            else
              probe_tls_once(daemon, ca_file, probe, latencies_);
            std::this_thread::sleep_for(20ms);  // pacing: a steady trickle, not a load test
          }
        }) {}
  ~Prober() { finish(); }

  const Latencies& finish() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    return latencies_;
  }

 private:
  std::atomic<bool> stop_{false};
  Latencies latencies_;
  std::thread thread_;
};

void expect_served_well(const Latencies& latencies, const std::string& during) {
  EXPECT_THAT(latencies.failures, ::testing::IsEmpty()) << during;
  EXPECT_GT(latencies.ms.size(), 0u) << during;
  EXPECT_LT(latencies.max(), 2000.0) << "a request took over 2 s " << during;
  std::printf("[ ordinary ] %s %s\n", during.c_str(), latencies.summary().c_str());
}

std::string mib(long kib) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(kib) / 1024.0);
  return text;
}

// --- the suite ---

class Abuse : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { raise_descriptor_limit(); }

  void SetUp() override {
    gateway.serve_cid(testing::manifest_cid, testing::layer_manifest_json());
  }

  // ocipfsd against the fake gateway, two threads, quiet, with `extra` flags (and its output to
  // `output`, as Daemon's).
  std::unique_ptr<Daemon> start(std::vector<std::string> extra, rlim_t open_files = 0,
                                int output = -1) {
    std::vector<std::string> flags = {"--gateway=" + gateway.url(), "--threads=2",
                                      "--log-level=warn", "--shutdown-grace=2s",
                                      "--redirect-gateway=https://public.example"};
    flags.insert(flags.end(), extra.begin(), extra.end());
    auto daemon = std::make_unique<Daemon>(flags, open_files, output);
    EXPECT_TRUE(daemon->started()) << daemon->log();
    return daemon;
  }

  // Resolves the image once, so that later requests are warm.
  void warm(const Daemon& daemon) {
    auto first = daemon.get(repo + "/manifests/latest", {{"Accept", accept_all}});
    ASSERT_EQ(first.status, 200u) << first.body;
    ASSERT_EQ(first.header("docker-content-digest"), image.index.digest);
  }

  // /v2/ and a warm manifest GET by tag, as docker sends it.
  std::vector<Probe> ordinary() const {
    return {{"/v2/", {}, 200, ""},
            {repo + "/manifests/latest", {{"Accept", accept_all}}, 200, image.index.digest}};
  }

  // Waits until ocipfs_open_connections is `expected` (the /metrics request included).
  static bool open_connections_reach(const Daemon& daemon, double expected, milliseconds limit,
                                     double* last = nullptr) {
    return poll_until(
        limit,
        [&] {
          auto value = daemon.metric("ocipfs_open_connections");
          if (last) *last = value.value_or(-1);
          return value == expected;
        },
        20ms);
  }

  FakeGateway gateway;
  std::string repo = "/v2/layer/" + testing::manifest_cid;
  testing::RenderedImage image{synthesize_image(
      testing::manifest_cid, *parse_layer_manifest(testing::layer_manifest_json()))};
};

// a. 10,000 idle connections at once: the server keeps them, still answers everyone else quickly,
// stays small, and forgets them when they go.
TEST_F(Abuse, TenThousandIdleConnections) {
  constexpr std::size_t storm_size = 10'000;
  ASSERT_GE(descriptor_limit(), storm_size + 200) << "ulimit -Hn is too low for this test";
  auto daemon = start({"--idle-timeout=60s", "--request-timeout=10s"});
  ASSERT_TRUE(daemon->started());
  warm(*daemon);
  auto few = open_connections(daemon->port(), 3);
  ASSERT_EQ(few.size(), 3u);

  auto before = probe_in_turn(*daemon, ordinary(), 200);
  expect_served_well(before, "before the storm:");
  long rss_before = daemon->rss_kib();

  auto opening = Clock::now();
  auto storm = open_connections(daemon->port(), storm_size, 30s);
  ASSERT_EQ(storm.size(), storm_size);
  double gauge = 0;
  // The storm, the few held, and the /metrics request itself.
  EXPECT_TRUE(open_connections_reach(*daemon, storm_size + few.size() + 1, 20s, &gauge))
      << "ocipfs_open_connections is " << gauge;
  std::printf("[ storm    ] %zu connections open and accepted in %.0f ms\n", storm.size(),
              ms_since(opening));

  auto during = probe_in_turn(*daemon, ordinary(), 200);
  expect_served_well(during, "with 10,000 idle connections:");
  long rss_storm = daemon->rss_kib();
  std::printf(
      "[ storm    ] ocipfsd VmRSS %s before, %s with %zu idle connections (%.1f KiB each)\n",
      mib(rss_before).c_str(), mib(rss_storm).c_str(), storm.size(),
      static_cast<double>(rss_storm - rss_before) / static_cast<double>(storm_size));
  EXPECT_LT(rss_storm, memory_factor * 200 * 1024) << "VmRSS with 10,000 idle connections";
  // Not one was closed or written to: the idle timeout is a minute.
  EXPECT_EQ(count_disturbed(storm), 0u);
  EXPECT_EQ(count_disturbed(few), 0u);

  auto closing = Clock::now();
  storm.clear();
  EXPECT_TRUE(open_connections_reach(*daemon, few.size() + 1, 15s, &gauge))
      << "ocipfs_open_connections is " << gauge << " after the storm left";
  std::printf("[ storm    ] the gauge was back to %zu + 1 %.0f ms after the storm closed\n",
              few.size(), ms_since(closing));
  EXPECT_EQ(daemon->get("/v2/").status, 200u);
  EXPECT_EQ(daemon->stop(), 0);
}

// b. At --max-connections, a new connection gets a 503 at once and is closed; the ones held are
// still served, and once some leave, new ones are served again.
TEST_F(Abuse, ConnectionLimitRefusesWith503) {
  constexpr std::size_t limit = 64;
  auto daemon = start({"--max-connections=" + std::to_string(limit), "--idle-timeout=30s"});
  ASSERT_TRUE(daemon->started());
  // Only the /metrics request itself is open (the start-up probe has been forgotten).
  ASSERT_TRUE(open_connections_reach(*daemon, 1, 5s));

  // All but one, then the last once the server counts exactly those: every one is accepted.
  const std::string metrics_request = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
  auto gauge_on = [&](Socket& socket, std::optional<Reply>& metrics) {
    metrics = socket.exchange(metrics_request);
    return metrics ? Daemon::metric_in(metrics->body, "ocipfs_open_connections").value_or(-1) : -1;
  };
  std::optional<Reply> metrics;
  auto held = open_connections(daemon->port(), limit - 1);
  ASSERT_EQ(held.size(), limit - 1);
  ASSERT_TRUE(poll_until(5s, [&] { return gauge_on(held.back(), metrics) == limit - 1; }))
      << (metrics ? metrics->body : "no answer to /metrics");
  held.push_back(Socket::connect(daemon->port()));
  ASSERT_EQ(gauge_on(held.back(), metrics), static_cast<double>(limit));
  EXPECT_EQ(Daemon::metric_in(metrics->body, "ocipfs_connections_refused_total"), 0.0)
      << "ocipfs_connections_refused_total is missing or not 0";

  constexpr int refusals = 5;
  for (int i = 0; i < refusals; ++i) {
    auto started = Clock::now();
    Socket extra = Socket::connect(daemon->port());
    ASSERT_TRUE(extra.is_open());
    auto reply = extra.read_reply(Clock::now() + 5s);  // answered without asking
    ASSERT_TRUE(reply) << "connection " << limit + 1 << " got no answer: "
                       << (extra.inbox.empty() ? "closed or silent" : extra.inbox);
    EXPECT_EQ(reply->status, 503u) << reply->head;
    EXPECT_EQ(reply->header("retry-after"), "1");
    EXPECT_EQ(lowercase(reply->header("connection")), "close");
    EXPECT_EQ(reply->header("content-type"), "application/json");
    EXPECT_EQ(error_code_of(*reply), "UNAVAILABLE") << reply->body;
    EXPECT_TRUE(extra.wait_closed(Clock::now() + 2s)) << "the refused connection stayed open";
    EXPECT_LT(ms_since(started), 2000.0);
  }

  // The held connections are untouched and still served; the refusals were counted and are not
  // open connections.
  EXPECT_EQ(count_disturbed(held), 0u);
  auto base = held.front().exchange("GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(base);
  EXPECT_EQ(base->status, 200u);
  ASSERT_TRUE(poll_until(5s, [&] { return gauge_on(held.back(), metrics) == limit; }))
      << (metrics ? metrics->body : "no answer to /metrics");
  EXPECT_EQ(Daemon::metric_in(metrics->body, "ocipfs_connections_refused_total"), refusals);

  // Some leave: new connections are served again.
  held.resize(limit - 10);
  unsigned status = 0;
  EXPECT_TRUE(poll_until(5s, [&] { return (status = daemon->get("/v2/").status) == 200u; }))
      << "a new connection still gets " << status;
  auto after = probe_in_turn(*daemon, {{"/v2/", {}, 200, ""}}, 20);
  EXPECT_THAT(after.failures, ::testing::IsEmpty());
  EXPECT_GE(daemon->metric("ocipfs_connections_refused_total").value_or(0), refusals);
  EXPECT_EQ(daemon->stop(), 0);
}

// b2. Out of descriptors: under an open-file limit of 256, ocipfsd lowers its connection limit to
// fit. A flood far past it is refused (503, or a plain close once 64 refusals are under way) and
// never left hanging; the connections it holds are untouched, and it serves again afterwards.
// The first probe's storm: thousands of distinct cold CIDs at once, against a gateway that never
// answers. With --max-gateway-fetches the gateway never sees more connections than that; the
// fetches past it wait for a slot within their deadline and then get an honest 503 (504 for
// those the gateway kept waiting); ocipfsd's descriptors and memory stay bounded; a warm manifest
// is served meanwhile as usual.
TEST_F(Abuse, ColdStormIsBoundedByTheGatewayFetchSlots) {
  constexpr std::size_t storm = 5000;
  constexpr std::size_t slots = 16;
  gateway.set_default({testing::FakeReply::Kind::silent, 200, "", {}});
  // (Each cold fetch also holds 1 MiB of --document-memory until its size is known: here the
  // slots must be the bound.)
  auto daemon = start({"--max-gateway-fetches=16", "--gateway-timeout=2s", "--failure-ttl=0",
                       "--idle-timeout=30s", "--document-memory=8GiB"});
  ASSERT_TRUE(daemon->started());
  warm(*daemon);
  const long rss_before = daemon->rss_kib();
  const std::size_t descriptors_before = daemon->descriptors();

  std::vector<Flow> flows(storm);
  auto sockets = open_connections(daemon->port(), storm);
  ASSERT_EQ(sockets.size(), storm);
  for (std::size_t i = 0; i < storm; ++i) {
    std::string cid = testing::raw_cid_of(testing::layer_manifest_json("cold" + std::to_string(i)));
    flows[i].socket = std::move(sockets[i]);
    flows[i].outgoing = "GET /v2/layer/" + cid + "/manifests/latest HTTP/1.1\r\nHost: x\r\n" +
                        "Connection: close\r\n\r\n";
  }
  long rss_peak = rss_before;
  std::size_t descriptors_peak = descriptors_before, waiting_peak = 0, in_flight_peak = 0;
  Prober prober(*daemon, ordinary());
  auto started = Clock::now();
  bool all_closed = drive(flows, started + 30s, [&] {
    rss_peak = std::max(rss_peak, daemon->rss_kib());
    descriptors_peak = std::max(descriptors_peak, daemon->descriptors());
    auto waiting = daemon->metric("ocipfs_gateway_fetches_waiting");
    waiting_peak = std::max(waiting_peak, static_cast<std::size_t>(waiting.value_or(0)));
    auto in_flight = daemon->metric("ocipfs_gateway_fetches_in_flight");
    in_flight_peak = std::max(in_flight_peak, static_cast<std::size_t>(in_flight.value_or(0)));
    return true;
  });
  const auto& latencies = prober.finish();
  EXPECT_TRUE(all_closed) << "requests still unanswered after 30 s";

  std::map<unsigned, std::size_t> statuses;
  for (auto& flow : flows) {
    auto reply = take_reply(flow.socket.inbox, false).value_or(Reply{});
    ++statuses[reply.status];
    if (reply.status == 503) {
      EXPECT_EQ(reply.header("retry-after"), "1");
      EXPECT_THAT(reply.body, HasSubstr("--max-gateway-fetches"));
    }
  }
  std::printf(
      "[ storm    ] %zu cold CIDs, --max-gateway-fetches=%zu: %zu answered 503 and %zu 504 in "
      "%.0f ms; gateway connections at most %zu; %zu fetches waiting at most; descriptors %zu -> "
      "%zu at most; resident %s -> %s at most\n",
      storm, slots, statuses[503], statuses[504], ms_since(started), gateway.max_open_connections(),
      waiting_peak, descriptors_before, descriptors_peak, mib(rss_before).c_str(),
      mib(rss_peak).c_str());
  EXPECT_EQ(statuses[503] + statuses[504], storm);
  EXPECT_GT(statuses[503], storm / 2);
  EXPECT_LE(in_flight_peak, slots);
  // The gateway counts a connection until it notices the hang-up: one ocipfsd closed at its
  // deadline may still be counted when the fetch that took its slot connects.
  EXPECT_LE(gateway.max_open_connections(), 2 * slots);
  EXPECT_LE(descriptors_peak, descriptors_before + storm + slots + 16);
  EXPECT_GT(daemon->metric("ocipfs_gateway_fetches_refused_total").value_or(0), 0.0);
  expect_served_well(latencies, "during the storm of cold CIDs");
}

// The probe's case: 48 requests at once for distinct image documents of 1 MiB each (15,500
// annotations), with a 16 MiB cache. Documents being fetched, parsed and composed share one
// memory budget (--document-memory): what does not fit waits, then is answered 503.
TEST_F(Abuse, BigDocumentsInFlightShareOneMemoryBudget) {
  constexpr int documents = 48;
  std::vector<std::string> cids;
  for (int n = 0; n < documents; ++n) {
    std::string text = testing::annotated_image_document(std::to_string(n));
    ASSERT_LT(text.size(), 1024u * 1024u);
    cids.push_back(testing::raw_cid_of(text));
    gateway.set("/ipfs/" + cids.back(), {testing::FakeReply::Kind::respond, 200, text, {}, 200ms});
  }
  // (A sanitizer build composes 10 times slower, one image at a time: the waits are generous.)
  auto daemon = start({"--cache-size=16MiB", "--document-memory=16MiB", "--gateway-timeout=60s",
                       "--failure-ttl=0"});
  ASSERT_TRUE(daemon->started());
  warm(*daemon);
  const long rss_before = daemon->rss_kib();
  std::atomic<int> finished{0};
  std::map<unsigned, int> statuses;
  std::mutex mutex;
  std::vector<std::thread> clients;
  for (const auto& cid : cids)
    clients.emplace_back([&, cid] {
      auto reply =
          daemon->get("/v2/image/" + cid + "/manifests/latest", {{"Accept", accept_all}}, 120s);
      std::lock_guard lock(mutex);
      ++statuses[reply.status];
      ++finished;
    });
  long rss_peak = rss_before;
  poll_until(
      130s,
      [&] {
        rss_peak = std::max(rss_peak, daemon->rss_kib());
        return finished == documents;
      },
      2ms);
  for (auto& client : clients) client.join();
  std::printf(
      "[ big docs ] %d image documents of ~1 MiB at once, --cache-size=16MiB "
      "--document-memory=16MiB: %d answered "
      "200, %d 503; resident %s -> %s at most\n",
      documents, statuses[200], statuses[503], mib(rss_before).c_str(), mib(rss_peak).c_str());
  EXPECT_EQ(statuses[200], documents);
  // The budget and the cache, about as much again for fetched documents waiting first in line
  // for room to grow (they hold nothing then), and the parsing of the two threads. Without the
  // budget this was 136 to 262 MiB. (AddressSanitizer keeps freed memory in quarantine.)
  if (!address_sanitized) {
    EXPECT_LT(rss_peak - rss_before, memory_factor * 80 * 1024);
  }
}

// Past --document-memory for the whole gateway timeout, a document is answered 503 with
// Retry-After, naming the flag; the others are served.
TEST_F(Abuse, DocumentsThatFindNoMemoryAreAnswered503) {
  // Each makes 9 manifests of 1 MiB: one at a time fits in 16 MiB, and 24 of them take longer
  // than the 200 ms a document may wait for room (800 ms under ThreadSanitizer, whose fetches
  // alone may take longer).
  constexpr int documents = 24;
  std::vector<std::string> cids;
  for (int n = 0; n < documents; ++n) {
    std::string text = testing::annotated_image_document(std::to_string(n));
    cids.push_back(testing::raw_cid_of(text));
    gateway.set("/ipfs/" + cids.back(), {testing::FakeReply::Kind::respond, 200, text, {}, 50ms});
  }
  const std::string wait = std::to_string(200 * memory_factor) + "ms";
  auto daemon = start({"--document-memory=16MiB", "--gateway-timeout=" + wait, "--failure-ttl=0"});
  ASSERT_TRUE(daemon->started());
  warm(*daemon);
  std::vector<Reply> replies(documents);
  std::vector<std::thread> clients;
  for (int n = 0; n < documents; ++n)
    clients.emplace_back([&, n] {
      replies[n] =
          daemon->get("/v2/image/" + cids[n] + "/manifests/latest", {{"Accept", accept_all}}, 60s);
    });
  for (auto& client : clients) client.join();
  std::map<unsigned, int> statuses;
  for (const auto& reply : replies) {
    ++statuses[reply.status];
    if (reply.status != 503) continue;
    EXPECT_EQ(reply.header("retry-after"), "1");
    EXPECT_THAT(reply.body, HasSubstr("--document-memory (16 MiB)"));
  }
  std::printf(
      "[ no room  ] %d image documents of ~1 MiB at once, --document-memory=16MiB: %d "
      "answered 200, %d 503 (%d 504: a fetch slower than the deadline)\n",
      documents, statuses[200], statuses[503], statuses[504]);
  EXPECT_GT(statuses[200], 0);
  EXPECT_GT(statuses[503], 0);
  // (A sanitizer build may be slower than the deadline at fetching: 504, never anything else.)
  EXPECT_EQ(statuses[200] + statuses[503] + statuses[504], documents);
  EXPECT_GT(daemon->metric("ocipfs_document_memory_refused_total").value_or(0), 0.0);
  // Every lease is given back once the answers are written (the last write may end just after
  // its client has read it).
  EXPECT_TRUE(
      poll_until(5s, [&] { return daemon->metric("ocipfs_document_memory_bytes") == 0.0; }));
}

TEST_F(Abuse, ProxiedLayerTransfersFitTheDescriptorLimit) {
  constexpr rlim_t open_files = 256;
  // Two threads of 16 idle connections to the one gateway; each proxied layer holds a socket.
  auto fit = descriptor_budget({16384, 256, 5000}, 2 * 16, open_files);
  auto daemon = start({"--blobs=proxy", "--max-blob-transfers=5000"}, open_files);
  ASSERT_TRUE(daemon->started());
  EXPECT_THAT(daemon->log(), HasSubstr("--max-blob-transfers lowered from 5000 to " +
                                       std::to_string(fit.blob_transfers)));
  EXPECT_THAT(daemon->log(), HasSubstr("--max-gateway-fetches lowered from 256 to " +
                                       std::to_string(fit.gateway_fetches)));
  EXPECT_LT(fit.blob_transfers + fit.gateway_fetches + fit.connections, open_files);
}

TEST_F(Abuse, ConnectionLimitFitsTheDescriptorLimit) {
  constexpr rlim_t open_files = 256;
  constexpr std::size_t total = 600;
  // Two threads of 16 idle connections to the one gateway, 256 fetches wanted.
  const std::size_t budget = descriptor_budget({16384, 256, 0}, 2 * 16, open_files).connections;
  auto daemon = start({"--idle-timeout=30s"}, open_files);
  ASSERT_TRUE(daemon->started());
  EXPECT_THAT(daemon->log(),
              HasSubstr("--max-connections lowered from 16384 to " + std::to_string(budget)));
  warm(*daemon);
  ASSERT_TRUE(open_connections_reach(*daemon, 1, 5s));

  auto sockets = open_connections(daemon->port(), total);
  ASSERT_EQ(sockets.size(), total);
  std::vector<Flow> flows(total);
  for (std::size_t i = 0; i < total; ++i) flows[i].socket = std::move(sockets[i]);
  // Like a real client, each closes its end once the server has closed: a refusal lingers
  // until then.
  auto settle = [&] {
    for (auto& flow : flows)
      if (flow.closed() && flow.socket.is_open()) flow.socket.close();
  };
  auto refused = [&] {
    return std::count_if(flows.begin(), flows.end(), [](auto& f) { return f.closed(); });
  };
  auto started = Clock::now();
  drive(flows, started + 15s, [&] {
    settle();
    return static_cast<std::size_t>(refused()) < total - budget;
  });
  settle();
  double settled_ms = ms_since(started);
  // Exactly the connections over the limit were closed, each with a 503 or without a word.
  ASSERT_EQ(static_cast<std::size_t>(refused()), total - budget)
      << "connections over the limit left hanging after 15 s";
  std::size_t answered = 0, silent = 0;
  std::vector<Socket> held;
  for (auto& flow : flows) {
    if (!flow.closed()) {
      EXPECT_EQ(flow.socket.inbox, "");
      held.push_back(std::move(flow.socket));
      continue;
    }
    auto reply = take_reply(flow.socket.inbox, false);
    if (!reply) {
      EXPECT_EQ(flow.socket.inbox, "") << "a partial answer";
      ++silent;
      continue;
    }
    EXPECT_EQ(reply->status, 503u) << reply->head;
    EXPECT_EQ(error_code_of(*reply), "UNAVAILABLE");
    ++answered;
  }
  std::printf(
      "[ fd limit ] open-file limit %lu: %zu connections held, %zu refused with a 503 and "
      "%zu closed without a word, all within %.0f ms\n",
      static_cast<unsigned long>(open_files), held.size(), answered, silent, settled_ms);
  EXPECT_GE(answered, 1u);
  EXPECT_EQ(count_disturbed(held), 0u);

  // The held connections are all the server counts, and they are served.
  auto metrics = held.back().exchange("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(Daemon::metric_in(metrics->body, "ocipfs_open_connections"),
            static_cast<double>(budget));
  EXPECT_EQ(Daemon::metric_in(metrics->body, "ocipfs_connections_refused_total"),
            static_cast<double>(total - budget));
  auto manifest = held.front().exchange(
      "GET " + repo + "/manifests/latest HTTP/1.1\r\nHost: x\r\nAccept: " + accept_all +
      "\r\n\r\n");
  ASSERT_TRUE(manifest);
  EXPECT_EQ(manifest->header("docker-content-digest"), image.index.digest);

  // Some leave: new connections are served again.
  held.resize(held.size() - 20);
  unsigned status = 0;
  EXPECT_TRUE(poll_until(5s, [&] { return (status = daemon->get("/v2/").status) == 200u; }))
      << "a new connection still gets " << status;
  EXPECT_EQ(daemon->stop(), 0);
}

// c. Slowloris: a header trickled one byte a second is cut off by --request-timeout, counted from
// its first byte, not renewed by each byte. Everyone else is served meanwhile.
TEST_F(Abuse, SlowlorisIsCutOffByTheRequestTimeout) {
  constexpr double request_timeout_ms = 2000;
  constexpr double slack_ms = 2000;  // below the 5 s idle timeout: that is not what closes them
  auto daemon = start({"--request-timeout=2s", "--idle-timeout=5s"});
  ASSERT_TRUE(daemon->started());
  warm(*daemon);
  Prober prober(*daemon, ordinary());

  // Three kinds, 100 each: from the very first byte; after a whole request line and Host; and
  // the second request of a kept-alive connection.
  const std::string line = "GET /v2/ HTTP/1.1\r\nHost: x\r\n";
  const std::string slow = line + "X-Slow: " + std::string(64, 'a');
  const std::string whole = line + "\r\n";
  std::vector<Flow> flows;
  for (int i = 0; i < 300; ++i) {
    Flow flow;
    flow.socket = Socket::connect(daemon->port());
    ASSERT_TRUE(flow.socket.is_open());
    flow.outgoing = i % 3 == 2 ? whole + slow : slow;
    flow.burst = i % 3 == 0 ? 1 : i % 3 == 1 ? line.size() : whole.size() + 1;
    flows.push_back(std::move(flow));
  }
  auto started = Clock::now();
  EXPECT_TRUE(
      drive(flows, started + milliseconds(static_cast<int>(request_timeout_ms + slack_ms + 1000))));
  const auto& latencies = prober.finish();

  std::vector<double> closed_after;
  std::size_t open = 0, unanswered = 0;
  for (std::size_t i = 0; i < flows.size(); ++i) {
    auto& flow = flows[i];
    auto after = flow.closed_after_first_byte_ms();
    if (!after) {
      ++open;
      continue;
    }
    closed_after.push_back(*after);
    if (i % 3 == 2) {  // the first, whole request was answered
      auto reply = take_reply(flow.socket.inbox, false);
      unanswered += !(reply && reply->status == 200u);
    }
  }
  EXPECT_EQ(open, 0u) << "slow connections still open " << request_timeout_ms + slack_ms + 1000
                      << " ms after their first byte";
  EXPECT_EQ(unanswered, 0u) << "kept-alive connections whose first request got no 200";
  ASSERT_FALSE(closed_after.empty());
  std::sort(closed_after.begin(), closed_after.end());
  std::printf(
      "[ slowloris] %zu connections closed %.0f..%.0f ms after their first byte (p50 %.0f)\n",
      closed_after.size(), closed_after.front(), closed_after.back(),
      closed_after[closed_after.size() / 2]);
  EXPECT_GE(closed_after.front(), request_timeout_ms - 100);
  EXPECT_LE(closed_after.back(), request_timeout_ms + slack_ms);
  expect_served_well(latencies, "during the slowloris:");
  EXPECT_EQ(daemon->stop(), 0);
}

// d. --idle-timeout closes a connection that never says a word, and a kept-alive one after its
// last answer; a connection that keeps asking stays open.
TEST_F(Abuse, IdleConnectionsAreClosed) {
  auto daemon = start({"--idle-timeout=1s", "--request-timeout=10s"});
  ASSERT_TRUE(daemon->started());
  const std::string request = "GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n";

  Socket silent = Socket::connect(daemon->port());
  auto silent_since = Clock::now();
  Socket kept = Socket::connect(daemon->port());
  auto first = kept.exchange(request);
  auto kept_since = Clock::now();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200u);
  EXPECT_EQ(first->header("connection"), "");  // kept alive
  Socket busy = Socket::connect(daemon->port());
  ASSERT_TRUE(silent.is_open() && busy.is_open());

  std::optional<double> silent_closed, kept_closed;
  constexpr int busy_requests = 8;
  int busy_answers = 0;
  auto next_busy = Clock::now();
  auto busy_last = Clock::now();
  poll_until(5s, [&] {
    if (!silent_closed && silent.peer_closed_or_spoke()) silent_closed = ms_since(silent_since);
    if (!kept_closed && kept.peer_closed_or_spoke()) kept_closed = ms_since(kept_since);
    // Every 300 ms for 2.4 s, longer than the idle timeout: never idle for a whole second.
    if (busy_answers < busy_requests && Clock::now() >= next_busy) {
      auto reply = busy.exchange(request);
      busy_last = Clock::now();
      EXPECT_TRUE(reply && reply->status == 200u) << "request " << busy_answers + 1;
      ++busy_answers;
      next_busy += 300ms;
    }
    return silent_closed && kept_closed && busy_answers == busy_requests;
  });
  ASSERT_TRUE(silent_closed) << "a connection that sent nothing is still open after 5 s";
  ASSERT_TRUE(kept_closed) << "an idle kept-alive connection is still open after 5 s";
  EXPECT_EQ(busy_answers, busy_requests);
  // The busy one now goes idle, and is closed in its turn.
  ASSERT_TRUE(busy.wait_closed(Clock::now() + 3s)) << "the busy connection, once idle";
  double busy_closed = ms_since(busy_last);
  std::printf(
      "[ idle     ] closed %.0f ms after connecting (silent), %.0f ms after an answer (kept "
      "alive), %.0f ms after its last answer (busy for %d requests)\n",
      *silent_closed, *kept_closed, busy_closed, busy_requests);
  // The silent connection's timer starts after the connect; the others' when the server has
  // written an answer, a little before the client has read it.
  EXPECT_GE(*silent_closed, 900.0);
  EXPECT_GE(*kept_closed, 500.0);
  EXPECT_GE(busy_closed, 500.0);
  for (double closed : {*silent_closed, *kept_closed, busy_closed}) EXPECT_LE(closed, 3000.0);
  EXPECT_TRUE(silent.wait_closed(Clock::now() + 1s));
  EXPECT_EQ(silent.inbox, "");  // closed without a word
  EXPECT_EQ(daemon->stop(), 0);
}

// d2. SIGTERM while thousands of idle connections are being timed out: ocipfsd still drains and
// exits 0. A connection whose socket its idle timer has just closed stays registered until its
// coroutine runs again, and the drain must not trip over it. To make the moment last, the daemon
// is stopped (SIGSTOP) until every idle timer is overdue, then continued with SIGTERM pending:
// it fires thousands of timers at once while the drain begins.
TEST_F(Abuse, ShutdownWhileIdleConnectionsTimeOut) {
  // The idle timeout leaves room to open them all, even on a slow sanitizer build.
  constexpr std::size_t count = 3000;
  constexpr auto idle_timeout = 4s;
  auto daemon = start({"--idle-timeout=4s"});
  ASSERT_TRUE(daemon->started());
  auto sockets = open_connections(daemon->port(), count);
  ASSERT_EQ(sockets.size(), count);
  // Every session has started, so every idle timer is armed: all are due by idle_timeout from now.
  ASSERT_TRUE(open_connections_reach(*daemon, count + 1, idle_timeout));
  auto all_due = Clock::now() + idle_timeout;
  ASSERT_EQ(kill(daemon->pid(), SIGSTOP), 0);
  auto stopped = Clock::now();
  // The condition is a time: a stopped process has nothing else to watch.
  std::this_thread::sleep_until(all_due + 300ms);
  std::size_t early = count_disturbed(sockets);  // closed before the stop, on a slow machine
  EXPECT_EQ(kill(daemon->pid(), SIGTERM), 0);
  EXPECT_EQ(kill(daemon->pid(), SIGCONT), 0);
  auto stopping = Clock::now();
  int status = daemon->wait(10s);  // a second SIGTERM would mean "exit at once"
  std::printf(
      "[ shutdown ] SIGTERM as %zu overdue idle timers fire: exit status %d after %.0f ms "
      "(stopped for %.0f ms; %zu closed before)\n",
      count, status, ms_since(stopping), ms_between(stopped, stopping), early);
  EXPECT_EQ(status, 0) << "ocipfsd did not drain cleanly (134 is SIGABRT)";
  EXPECT_LT(ms_since(stopping), 5000.0);
}

// SIGHUP and a closed stderr (ocipfsd 2>&1 | head, once head has exited) never stop the server:
// it logs every request to the broken pipe and goes on answering, then drains on SIGTERM.
TEST_F(Abuse, HangupsAndABrokenLogPipeDoNotStopIt) {
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  auto daemon = start({"--log-level=info"}, 0, pipe_fds[1]);
  ::close(pipe_fds[1]);
  ::close(pipe_fds[0]);  // whatever read the log has gone: the next write gets EPIPE
  ASSERT_TRUE(daemon->started());
  for (int round = 0; round < 3; ++round) {
    ASSERT_EQ(kill(daemon->pid(), SIGHUP), 0);
    warm(*daemon);
    EXPECT_EQ(daemon->get("/v2/").status, 200u);
    EXPECT_TRUE(daemon->running()) << "round " << round;
  }
  EXPECT_EQ(daemon->stop(), 0) << "129 is SIGHUP, 141 SIGPIPE";
}

// e. Clients that pipeline requests for the biggest answer and never read: once the server's send
// buffer for them is full, the write deadline (--request-timeout) closes them. Memory stays
// bounded and everyone else is served.
TEST_F(Abuse, ClientsThatNeverReadAreClosed) {
  constexpr int clients = 64;
  constexpr double request_timeout_ms = 2000;
  auto daemon = start({"--request-timeout=2s", "--idle-timeout=10s"});
  ASSERT_TRUE(daemon->started());
  warm(*daemon);

  // The biggest warm answer.
  std::string target;
  std::size_t biggest = 0;
  for (const std::string& candidate :
       {repo + "/manifests/latest", repo + "/blobs/" + image.default_platform().config.digest,
        std::string("/metrics")}) {
    auto size = daemon->get(candidate, {{"Accept", accept_all}}).body.size();
    if (size > biggest) std::tie(target, biggest) = std::tie(candidate, size);
  }
  std::string request =
      "GET " + target + " HTTP/1.1\r\nHost: x\r\nAccept: " + accept_all + "\r\n\r\n";
  std::string pipeline;
  while (pipeline.size() < 512 * 1024) pipeline += request;
  std::printf("[ deaf     ] %d clients each pipeline %zu GETs of %s (%zu bytes each)\n", clients,
              pipeline.size() / request.size(), target.c_str(), biggest);

  long rss_before = daemon->rss_kib(), rss_peak = rss_before;
  Prober prober(*daemon, ordinary());
  std::vector<Flow> flows;
  for (int i = 0; i < clients; ++i) {
    Flow flow;
    flow.socket = Socket::connect(daemon->port(), 5s, 4096);  // a small window fills sooner
    ASSERT_TRUE(flow.socket.is_open());
    flow.outgoing = pipeline;
    flow.reads = false;
    flows.push_back(std::move(flow));
  }
  // The server's send queue for each client (by the client's port), and when it last grew: the
  // kernel lets it grow to megabytes, and filling them takes the server a while.
  struct Queue {
    std::uint64_t bytes = 0;
    Clock::time_point changed;
  };
  std::map<std::uint16_t, Queue> queues;
  auto started = Clock::now();
  for (auto& flow : flows) queues[flow.socket.local_port()] = {0, started};
  auto last_sample = started - 1s;
  bool all_closed = drive(flows, started + 20s, [&] {
    if (Clock::now() - last_sample < 50ms) return true;
    last_sample = Clock::now();
    rss_peak = std::max(rss_peak, daemon->rss_kib());
    for (const auto& [client_port, bytes] : send_queues(daemon->port())) {
      auto it = queues.find(client_port);
      if (it == queues.end() || bytes == it->second.bytes) continue;
      it->second = {bytes, last_sample};
    }
    return true;
  });
  const auto& latencies = prober.finish();
  EXPECT_TRUE(all_closed);

  std::vector<double> closed_after, after_full;
  std::uint64_t most_queued = 0;
  for (auto& flow : flows) {
    if (!flow.closed_at) continue;
    const Queue& queue = queues[flow.socket.local_port()];
    closed_after.push_back(ms_between(started, *flow.closed_at));
    after_full.push_back(ms_between(queue.changed, *flow.closed_at));
    most_queued = std::max(most_queued, queue.bytes);
  }
  EXPECT_EQ(closed_after.size(), static_cast<std::size_t>(clients));
  ASSERT_FALSE(closed_after.empty());
  std::sort(closed_after.begin(), closed_after.end());
  std::sort(after_full.begin(), after_full.end());
  std::printf(
      "[ deaf     ] all closed %.0f..%.0f ms after they started, %.0f..%.0f ms after the "
      "server's send queue for them last grew (to %.1f MiB at most)\n",
      closed_after.front(), closed_after.back(), after_full.front(), after_full.back(),
      static_cast<double>(most_queued) / (1024 * 1024));
  EXPECT_GT(most_queued, 0u) << "the server's send queues were never seen";
  // The blocked write began at most when its queue last grew, and has request_timeout to finish.
  EXPECT_LE(after_full.back(), request_timeout_ms + 1500);
  // Not closed before the deadline: a write that is merely slow is not cut short.
  EXPECT_GE(closed_after.front(), request_timeout_ms - 100);
  long rss_after = daemon->rss_kib();
  std::printf("[ deaf     ] ocipfsd VmRSS %s before, %s at most during, %s after\n",
              mib(rss_before).c_str(), mib(rss_peak).c_str(), mib(rss_after).c_str());
  EXPECT_LT(rss_peak - rss_before, memory_factor * 64 * 1024);
  expect_served_well(latencies, "beside clients that never read:");
  double gauge = 0;
  EXPECT_TRUE(open_connections_reach(*daemon, 1, 5s, &gauge)) << "the gauge stays at " << gauge;
  EXPECT_EQ(daemon->stop(), 0);
}

// f. 100 pipelined requests for different things in one write: 100 answers, in order, each right.
// HTTP/1.0 and Connection: close end the conversation where they should.
TEST_F(Abuse, PipelinedRequestsAreAnsweredInOrder) {
  auto daemon = start({"--request-timeout=5s", "--idle-timeout=5s"});
  ASSERT_TRUE(daemon->started());
  warm(*daemon);
  const auto& platform = image.default_platform();

  struct Expected {
    std::string method, target, accept;
    unsigned status;
    std::string digest, body, error;  // empty: not checked
  };
  std::vector<Expected> expected;
  for (int i = 0; i < 100; ++i) {
    std::string n = std::to_string(i);
    std::string hex = std::string(64 - n.size(), 'f') + n;
    switch (i % 10) {
      case 0:
        expected.push_back({"GET", "/v2/", "", 200, "", "{}", ""});
        break;
      case 1:
        expected.push_back({"GET", repo + "/manifests/latest", accept_all, 200, image.index.digest,
                            image.index.bytes, ""});
        break;
      case 2:
        expected.push_back({"GET", repo + "/manifests/hello.tar.gz",
                            std::string(oci_manifest_media_type), 200, platform.manifest.digest,
                            platform.manifest.bytes, ""});
        break;
      case 3:
        expected.push_back({"HEAD", repo + "/manifests/" + image.index.digest, accept_all, 200,
                            image.index.digest, "", ""});
        break;
      case 4:
        expected.push_back({"GET", repo + "/blobs/" + platform.config.digest, "", 200,
                            platform.config.digest, platform.config.bytes, ""});
        break;
      case 5:
        expected.push_back({"GET", repo + "/blobs/" + testing::layer_digest, "", 302,
                            testing::layer_digest, "", ""});
        break;
      case 6:
        expected.push_back({"HEAD", repo + "/blobs/" + testing::layer_digest, "", 200,
                            testing::layer_digest, "", ""});
        break;
      case 7:
        expected.push_back(
            {"GET", repo + "/manifests/missing-" + n, "", 404, "", "", "MANIFEST_UNKNOWN"});
        break;
      case 8:
        expected.push_back({"GET", repo + "/blobs/sha256:" + hex, "", 404, "", "", "BLOB_UNKNOWN"});
        break;
      case 9:
        expected.push_back({"GET", "/healthz", "", 200, "", "ok\n", ""});
        break;
    }
  }
  std::string requests;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const auto& e = expected[i];
    requests += e.method + " " + e.target + " HTTP/1.1\r\nHost: x\r\n";
    if (!e.accept.empty()) requests += "Accept: " + e.accept + "\r\n";
    if (i + 1 == expected.size()) requests += "Connection: close\r\n";
    requests += "\r\n";
  }
  Socket socket = Socket::connect(daemon->port());
  ASSERT_TRUE(socket.send_all(requests, Clock::now() + 5s));  // one write when it fits
  ASSERT_TRUE(socket.wait_closed(Clock::now() + 10s)) << "not closed after Connection: close";
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const auto& e = expected[i];
    auto reply = take_reply(socket.inbox, e.method == "HEAD");
    ASSERT_TRUE(reply) << "answer " << i << " of 100 is missing";
    SCOPED_TRACE("answer " + std::to_string(i) + " to " + e.method + " " + e.target);
    EXPECT_EQ(reply->status, e.status) << reply->head;
    if (!e.digest.empty()) {
      EXPECT_EQ(reply->header("docker-content-digest"), e.digest);
    }
    if (!e.body.empty()) {
      EXPECT_EQ(reply->body, e.body);
    }
    if (!e.error.empty()) {
      EXPECT_EQ(error_code_of(*reply), e.error);
    }
    if (e.status == 302) {
      EXPECT_THAT(reply->header("location"), HasSubstr(testing::layer_dir_cid + "/hello.tar.gz"));
    }
    if (i % 10 == 6) {
      EXPECT_EQ(reply->header("content-length"), "1234");
    }
    EXPECT_EQ(lowercase(reply->header("connection")), i + 1 == expected.size() ? "close" : "");
  }
  EXPECT_EQ(socket.inbox, "") << "more than 100 answers";

  // HTTP/1.0 without keep-alive: one answer, then the server closes; the second goes unanswered.
  Socket http10 = Socket::connect(daemon->port());
  ASSERT_TRUE(
      http10.send_all("GET /v2/ HTTP/1.0\r\n\r\nGET /v2/ HTTP/1.0\r\n\r\n", Clock::now() + 5s));
  ASSERT_TRUE(http10.wait_closed(Clock::now() + 5s));
  auto only = take_reply(http10.inbox, false);
  ASSERT_TRUE(only);
  EXPECT_EQ(only->status, 200u);
  EXPECT_EQ(lowercase(only->header("connection")), "close");
  EXPECT_EQ(http10.inbox, "") << "the request after an HTTP/1.0 close was answered";

  // HTTP/1.0 with keep-alive: kept, announced, then closed by the next plain HTTP/1.0 request.
  Socket kept10 = Socket::connect(daemon->port());
  ASSERT_TRUE(kept10.send_all("GET /v2/ HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET " + repo +
                                  "/blobs/" + platform.config.digest + " HTTP/1.0\r\n\r\n",
                              Clock::now() + 5s));
  ASSERT_TRUE(kept10.wait_closed(Clock::now() + 5s));
  auto one = take_reply(kept10.inbox, false);
  auto two = take_reply(kept10.inbox, false);
  ASSERT_TRUE(one && two);
  EXPECT_EQ(lowercase(one->header("connection")), "keep-alive");
  EXPECT_EQ(two->body, platform.config.bytes);
  EXPECT_EQ(lowercase(two->header("connection")), "close");

  // HTTP/1.1: Connection: close on the second of three; the third is never answered.
  Socket closing = Socket::connect(daemon->port());
  ASSERT_TRUE(closing.send_all(
      "GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nConnection: "
      "close\r\n\r\nGET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n",
      Clock::now() + 5s));
  ASSERT_TRUE(closing.wait_closed(Clock::now() + 5s));
  auto a = take_reply(closing.inbox, false);
  auto b = take_reply(closing.inbox, false);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->body, "{}");
  EXPECT_EQ(b->body, "ok\n");
  EXPECT_EQ(lowercase(b->header("connection")), "close");
  EXPECT_EQ(closing.inbox, "") << "the request after Connection: close was answered";
  EXPECT_EQ(daemon->stop(), 0);
}

// g. Oversized headers and request lines, and floods of garbage: an error, then the connection is
// closed, and the server neither grows nor stops serving others.
TEST_F(Abuse, OversizedRequestsAndGarbageAreRefused) {
  auto daemon = start({"--request-timeout=5s", "--idle-timeout=5s"});
  ASSERT_TRUE(daemon->started());

  // Sends `request`, reads until the server closes; the answer it got, if any.
  auto refused = [&](const std::string& request) -> std::optional<Reply> {
    std::vector<Flow> flows(1);
    flows[0].socket = Socket::connect(daemon->port());
    flows[0].outgoing = request;
    bool closed = drive(flows, Clock::now() + 10s);
    EXPECT_TRUE(closed) << "the connection stayed open";
    return take_reply(flows[0].socket.inbox, false);
  };

  // Just under the 16 KiB limit: fine.
  auto fits = refused("GET /v2/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Big: " +
                      std::string(15 * 1024, 'a') + "\r\n\r\n");
  ASSERT_TRUE(fits);
  EXPECT_EQ(fits->status, 200u);

  auto big_header =
      refused("GET /v2/ HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20 * 1024, 'a') + "\r\n\r\n");
  ASSERT_TRUE(big_header) << "no answer to a 20 KiB header";
  EXPECT_EQ(big_header->status, 431u) << big_header->head;
  EXPECT_EQ(lowercase(big_header->header("connection")), "close");

  auto long_line =
      refused("GET /v2/" + std::string(20 * 1024, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(long_line) << "no answer to a 20 KiB request line";
  EXPECT_EQ(long_line->status, 414u) << long_line->head;
  EXPECT_EQ(lowercase(long_line->header("connection")), "close");

  // Floods of 1 MiB, 10 of each at once: binary garbage, and header lines that never end.
  std::mt19937 random(42);
  std::string garbage(1024 * 1024, '\0');
  for (char& c : garbage) c = static_cast<char>(random() % 256);
  garbage[0] = '\x01';  // not a method, whatever the draw
  std::string lines = "GET /v2/ HTTP/1.1\r\nHost: x\r\n";
  while (lines.size() < 1024 * 1024) lines += "X-Flood: " + std::string(40, 'y') + "\r\n";
  long rss_before = daemon->rss_kib(), rss_peak = rss_before;
  std::vector<Flow> flows;
  for (int i = 0; i < 20; ++i) {
    Flow flow;
    flow.socket = Socket::connect(daemon->port());
    ASSERT_TRUE(flow.socket.is_open());
    flow.outgoing = i % 2 ? lines : garbage;
    flows.push_back(std::move(flow));
  }
  auto started = Clock::now();
  EXPECT_TRUE(drive(flows, started + 10s, [&] {
    rss_peak = std::max(rss_peak, daemon->rss_kib());
    return true;
  }));
  for (std::size_t i = 0; i < flows.size(); ++i) {
    auto reply = take_reply(flows[i].socket.inbox, false);
    ASSERT_TRUE(reply) << "flood " << i << " got no answer";
    EXPECT_EQ(reply->status, i % 2 ? 431u : 400u) << reply->head;
    EXPECT_EQ(lowercase(reply->header("connection")), "close");
  }
  long rss_after = daemon->rss_kib();
  std::printf(
      "[ oversize ] 20 floods of 1 MiB refused in %.0f ms; VmRSS %s before, %s at most, "
      "%s after\n",
      ms_since(started), mib(rss_before).c_str(), mib(rss_peak).c_str(), mib(rss_after).c_str());
  EXPECT_LT(rss_peak - rss_before, memory_factor * 16 * 1024);
  EXPECT_EQ(daemon->get("/v2/").status, 200u);
  EXPECT_EQ(daemon->stop(), 0);
}

// --- ocipfsd's own TLS (--tls-cert) ---

// f. Connections to the TLS port that never make it to a request: silent ones and half a
// ClientHello are cut off by --request-timeout (not the longer idle timeout), plain HTTP is told
// to use https and closed at once; a flood of them leaves TLS clients served as usual, and each
// failure is counted by its reason.
TEST_F(Abuse, TlsHandshakesThatNeverFinishAreCutOff) {
  constexpr double request_timeout_ms = 2000;
  constexpr double slack_ms = 2000;
  testing::TestCertificates certificates;
  auto issued = certificates.issue("server", "1001");
  ASSERT_FALSE(issued.cert.empty());
  auto daemon = start({"--tls-cert=" + issued.cert, "--tls-key=" + issued.key,
                       "--request-timeout=2s", "--idle-timeout=10s"});
  ASSERT_TRUE(daemon->started());
  Prober prober(*daemon, ordinary(), certificates.ca());

  // A record header announcing a 512-byte ClientHello, and its first 38 bytes.
  const std::string half_hello =
      std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11) + std::string(32, 'r');
  const std::string plain = "GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n";
  constexpr int each = 200;
  std::vector<Flow> flows;
  std::vector<Clock::time_point> connected;
  for (int i = 0; i < 3 * each; ++i) {
    Flow flow;
    flow.socket = Socket::connect(daemon->port());
    ASSERT_TRUE(flow.socket.is_open());
    connected.push_back(Clock::now());
    flow.outgoing = i % 3 == 0 ? "" : i % 3 == 1 ? half_hello : plain;
    flows.push_back(std::move(flow));
  }
  EXPECT_TRUE(drive(
      flows, Clock::now() + milliseconds(static_cast<int>(request_timeout_ms + slack_ms + 1000))));
  const auto& latencies = prober.finish();

  std::vector<double> cut_off;
  std::size_t open = 0, told = 0;
  for (std::size_t i = 0; i < flows.size(); ++i) {
    if (!flows[i].closed()) {
      ++open;
      continue;
    }
    double after = ms_between(connected[i], *flows[i].closed_at);
    if (i % 3 != 2) {
      cut_off.push_back(after);
      EXPECT_EQ(flows[i].socket.inbox, "") << "closed without a word";
    } else {
      told +=
          flows[i].socket.inbox.find("this port speaks HTTPS: use https://") != std::string::npos &&
          after < request_timeout_ms / 2;
    }
  }
  EXPECT_EQ(open, 0u) << "connections still open " << request_timeout_ms + slack_ms << " ms on";
  EXPECT_EQ(told, std::size_t{each}) << "plain HTTP requests told to use https at once";
  ASSERT_FALSE(cut_off.empty());
  std::sort(cut_off.begin(), cut_off.end());
  std::printf("[ tls      ] %zu handshakes cut off %.0f..%.0f ms after connecting (p50 %.0f)\n",
              cut_off.size(), cut_off.front(), cut_off.back(), cut_off[cut_off.size() / 2]);
  EXPECT_GE(cut_off.front(), request_timeout_ms - 100);
  EXPECT_LE(cut_off.back(), request_timeout_ms + slack_ms);
  expect_served_well(latencies, "during the handshake flood:");

  testing::TlsClient client(daemon->port(), certificates.ca());
  std::string metrics = client.request("/metrics").body;
  auto failures = [&](const std::string& reason) {
    return Daemon::metric_in(metrics,
                             "ocipfs_tls_handshake_failures_total{reason=\"" + reason + "\"}");
  };
  EXPECT_EQ(failures("timed_out"), 2.0 * each);
  EXPECT_EQ(failures("plain_http"), 1.0 * each);
  EXPECT_EQ(Daemon::metric_in(metrics, "ocipfs_open_connections"), 1.0);
  EXPECT_EQ(daemon->stop(), 0);
}

// SIGHUP reloads --tls-cert and --tls-key: a new connection gets the new certificate while an
// open one goes on; a file that cannot be served with is logged and the certificate before kept.
TEST_F(Abuse, SighupReloadsTheTlsCertificate) {
  testing::TestCertificates certificates;
  auto served = certificates.issue("served", "1001");
  auto second = certificates.issue("second", "2002");
  ASSERT_FALSE(served.cert.empty() || second.cert.empty());
  auto daemon = start({"--tls-cert=" + served.cert, "--tls-key=" + served.key});
  ASSERT_TRUE(daemon->started());
  testing::TlsClient open(daemon->port(), certificates.ca());
  ASSERT_TRUE(open.connected()) << open.error();
  EXPECT_EQ(open.serial(), "1001");

  std::filesystem::rename(second.cert, served.cert);
  std::filesystem::rename(second.key, served.key);
  ASSERT_EQ(kill(daemon->pid(), SIGHUP), 0);
  auto serial_now = [&] { return testing::TlsClient(daemon->port(), certificates.ca()).serial(); };
  EXPECT_TRUE(poll_until(5s, [&] { return serial_now() == "2002"; }));
  EXPECT_EQ(open.request("/v2/").status, 200u);

  testing::write_file(served.key, "not a key\n");
  ASSERT_EQ(kill(daemon->pid(), SIGHUP), 0);
  EXPECT_TRUE(poll_until(5s, [&] {
    return daemon->log().find("TLS certificate not reloaded") != std::string::npos;
  })) << daemon->log();
  EXPECT_THAT(daemon->log(), HasSubstr("--tls-key=" + served.key + ": not a PEM private key"));
  EXPECT_EQ(serial_now(), "2002");
  EXPECT_EQ(open.request("/v2/").status, 200u);
  EXPECT_EQ(daemon->stop(), 0);
}

}  // namespace
}  // namespace ocipfs
