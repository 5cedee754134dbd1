// The HTTP server: an acceptor, one io_context per thread, and a coroutine per connection.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include "ocipfs/server/config.hpp"

namespace ocipfs {

class TlsCredentials;

class Server {
 public:
  // Loads the TLS credentials (config.tls) and binds the listening socket; throws TlsError
  // (tls.hpp) for credentials it cannot serve with, std::runtime_error for the rest, with a
  // one-line reason.
  explicit Server(const Config& config);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  std::uint16_t port() const;
  // The credentials of the HTTPS listener (for reloading them), or null when it is plain HTTP.
  TlsCredentials* tls() const;

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

// What fits in `open_file_limit` descriptors: an eighth of it and 16 more are kept for logs and
// the process's own. Of the rest, gateway sockets (fetches and proxied layer transfers under way,
// and the `idle_gateway_sockets` kept alive) get at most half, fetches and transfers in the
// proportion wanted, and client connections what is left. Each is at most what is wanted, and at
// least 1 unless none is wanted (blob_transfers is 0 when layers are redirected).
struct DescriptorBudget {
  std::size_t connections = 1;
  std::size_t gateway_fetches = 1;
  std::size_t blob_transfers = 0;
};
DescriptorBudget descriptor_budget(const DescriptorBudget& wanted, std::size_t idle_gateway_sockets,
                                   std::uint64_t open_file_limit);

// Raises this process's soft open-file limit to its hard limit; returns the soft limit now.
std::uint64_t raise_open_file_limit();

}  // namespace ocipfs
