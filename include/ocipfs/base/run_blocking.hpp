// Runs one coroutine to completion on a private io_context, for blocking callers such as the
// ocipfs command (private to src/).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <exception>
#include <optional>
#include <stdexcept>
#include <utility>

namespace ocipfs {

// Calls `start()` (which returns an awaitable<T>) on `context` and runs the context until the
// coroutine has finished; returns its value. An exception it throws is rethrown here. The
// context may be run again by the next call (objects bound to it, such as an HTTP client with its
// kept-alive connections, stay usable between calls as long as they leave no work pending).
template <class Start>
auto run_blocking(boost::asio::io_context& context, Start start) ->
    typename decltype(start())::value_type {
  using Value = typename decltype(start())::value_type;
  std::optional<Value> out;
  boost::asio::co_spawn(
      context, [&]() -> boost::asio::awaitable<void> { out.emplace(co_await start()); },
      [](std::exception_ptr error) {
        if (error) std::rethrow_exception(error);
      });
  context.restart();
  context.run();
  if (!out) throw std::runtime_error("the operation did not finish");
  return std::move(*out);
}

// The same on a new io_context of its own.
template <class Start>
auto run_blocking(Start start) -> typename decltype(start())::value_type {
  boost::asio::io_context context;
  return run_blocking(context, std::move(start));
}

}  // namespace ocipfs
