// One client connection: reads each request with its limits and errors, hands it to the endpoints
// for its answer, writes the answer and its log line (private to src/). It knows no routes.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <list>

namespace ocipfs {

class Endpoints;
class Metrics;
struct LimitsConfig;
class TlsCredentials;

// The connections of one thread, touched only from it: what a drain must close or let finish,
// and when each one's deadline passes.
struct ConnectionList {
  using Clock = std::chrono::steady_clock;
  struct Entry {
    boost::asio::ip::tcp::socket* socket;
    bool busy = false;  // a request is being read or answered
    // When the socket operation under way is cut off (max: none, e.g. while an answer waits
    // for the gateways, which have deadlines of their own).
    Clock::time_point deadline = Clock::time_point::max();
  };
  std::list<Entry> open;
  bool draining = false;

  // Closes the idle connections now; busy ones close after their answer.
  void drain();
  // Cancels the socket operations of the connections whose deadline is before `now`.
  void expire(Clock::time_point now);
};

// How often a thread checks its connections' deadlines: a quarter of the shorter timeout, from
// 10 ms to 1 s. A deadline is enforced that much late at most.
std::chrono::milliseconds sweep_interval(const LimitsConfig& limits);

// Checks `connections`' deadlines every `interval`, forever (until the io_context stops): one
// timer per thread instead of one per socket operation.
boost::asio::awaitable<void> sweep_connections(ConnectionList& connections,
                                               std::chrono::milliseconds interval);

// What the sessions of one thread serve with; everything outlives them. `metrics` counts the
// connections and TLS handshakes. `tls`, when set, makes every connection HTTPS.
struct SessionContext {
  const LimitsConfig& limits;
  Endpoints& endpoints;
  Metrics& metrics;
  ConnectionList& connections;
  TlsCredentials* tls = nullptr;
};

// Serves `socket` until the client closes it, a deadline passes, an answer closes it, or the
// thread drains. A warm request (a common head, answered warm by the endpoints) reads the clock
// once, allocates nothing and takes no lock; its latency counts as zero. HTTP/1.1 with
// keep-alive and pipelining. A request head is at most limits.max_header_size bytes, request line,
// fields and CRLFs together, and max_request_fields fields (431 beyond, 414 for the request line
// alone); it has one valid Host (none for HTTP/1.0 only) and a Transfer-Encoding only if it ends
// in chunked, on HTTP/1.1 without Content-Length (else 400); GET and HEAD have no body (400). A
// refused request, and any with a body (never read), closes the connection after its answer;
// "close" in any Connection line does too. A refused head is counted by the endpoints.
// With context.tls, the TLS handshake comes first, with the credentials of the moment, under
// limits.request_timeout; plain HTTP gets a 400 saying to use https.
boost::asio::awaitable<void> run_session(boost::asio::ip::tcp::socket socket,
                                         SessionContext& context);

}  // namespace ocipfs
