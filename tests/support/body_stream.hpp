// Reading a streamed answer's body (http/exchange.hpp's BodyStream) in a test, to its end.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <string>

#include "ocipfs/http/exchange.hpp"

namespace ocipfs::testing {

struct DrainedBody {
  std::string bytes;  // everything given before the end or the error
  bool failed = false;
};

// Reads `body` piece by piece on an io_context of its own until its end or its first error.
inline DrainedBody drain_body(BodyStream& body) {
  DrainedBody out;
  boost::asio::io_context ioc;
  boost::asio::co_spawn(
      ioc,
      [&]() -> boost::asio::awaitable<void> {
        for (;;) {
          auto piece = co_await body.next();
          if (!piece) {
            out.failed = true;
            co_return;
          }
          if (piece->empty()) co_return;
          out.bytes.append(*piece);
        }
      },
      boost::asio::detached);
  ioc.run();
  return out;
}

}  // namespace ocipfs::testing
