// The HTTP server: an acceptor, one io_context per thread, and a coroutine per connection.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include "ocipfs/config.hpp"

namespace ocipfs {

class Server {
 public:
  // Binds the listening socket; throws std::runtime_error with a one-line reason on failure.
  explicit Server(const Config& config);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  std::uint16_t port() const;

  // Serves on config.threads threads (the caller's among them) until stop().
  void run();
  // Stops serving at once; callable from any thread.
  void stop();
  // Stops accepting, closes idle connections, lets requests in flight finish within `grace`,
  // then stops: run() returns. Callable from any thread.
  void shutdown(std::chrono::milliseconds grace);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// How many client connections fit in `open_file_limit` descriptors, at most `wanted`. An eighth
// of the limit is kept for gateway connections, logs and the process's own descriptors.
std::size_t connection_budget(std::size_t wanted, std::uint64_t open_file_limit);

// Raises this process's soft open-file limit to its hard limit; returns the soft limit now.
std::uint64_t raise_open_file_limit();

}  // namespace ocipfs
