// Every path the server answers: a request in, its answer out, routed once. The registry under
// /v2/, the pages for people and the operational endpoints; methods other than GET and HEAD are
// refused here, for every path. Each request is counted here, by route and status.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <exception>
#include <optional>

#include "ocipfs/http/exchange.hpp"
#include "ocipfs/http/route.hpp"

namespace ocipfs {

class Handler;
class Metrics;
class Operations;
class Pages;

// One per thread, like its Handler.
class Endpoints {
 public:
  using Clock = std::chrono::steady_clock;

  Endpoints(Handler& registry, Pages& pages, Operations& operations, Metrics& metrics);

  // What became of a request given to answer.
  struct Answered {
    // Set when the answer waits for an image to be fetched: awaiting it puts the answer in `out`.
    std::optional<boost::asio::awaitable<void>> later;
    // Answered warm from a cached image: the clock was not read, the latency counts as zero.
    bool warm = false;
  };

  // Answers `request`, whose head was read at `started`, into `out`, which keeps the capacity
  // its strings have grown to; counts it when the answer is there. A GET or HEAD of a warm image
  // allocates nothing and takes no lock once `out` has room. `request` must outlive `later`. An
  // exception is logged and answered 500.
  Answered answer(const Request& request, Clock::time_point started, Response& out);

  // Counts a request that was answered `status` before it got here (its head was refused), by
  // the route its path names.
  void count_refused(const Request& request, unsigned status, Clock::duration latency);

 private:
  class InFlight;
  Answered answer_cold(const Request& request, const RouteView& route, Clock::time_point started,
                       Response& out);
  boost::asio::awaitable<void> answer_later(const Request& request, RouteKind kind,
                                            boost::asio::awaitable<Response> answer,
                                            Clock::time_point started, Response& out,
                                            InFlight in_flight);
  void done(RouteKind kind, const Response& out, Clock::time_point started);
  // The opaque 500 for an exception, logged.
  static Response failed(const Request& request, const std::exception& error);

  Handler& registry_;
  Pages& pages_;
  Operations& operations_;
  Metrics& metrics_;
};

}  // namespace ocipfs
