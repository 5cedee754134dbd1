// One client connection: reads each request with its limits and errors, answers it through the
// endpoints, writes the answer and its log line (private to src/).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <list>

namespace ocipfs {

class Endpoints;
class Metrics;
struct LimitsConfig;

// The connections of one thread, touched only from it: what a drain must close or let finish.
struct ConnectionList {
  struct Entry {
    boost::asio::ip::tcp::socket* socket;
    bool busy = false;  // a request is being read or answered
  };
  std::list<Entry> open;
  bool draining = false;

  // Closes the idle connections now; busy ones close after their answer.
  void drain();
};

// What the sessions of one thread serve with; everything outlives them.
struct SessionContext {
  const LimitsConfig& limits;
  Endpoints& endpoints;
  Metrics& metrics;
  ConnectionList& connections;
};

// Serves `socket` until the client closes it, a deadline passes, an answer closes it, or the
// thread drains. HTTP/1.1 with keep-alive and pipelining; a request header is at most
// limits.max_header_size (431 beyond, 414 for the request line alone), GET and HEAD have no body
// (400). An exception from an endpoint is logged and answered 500.
boost::asio::awaitable<void> run_session(boost::asio::ip::tcp::socket socket,
                                         SessionContext& context);

}  // namespace ocipfs
