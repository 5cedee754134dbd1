// How the gateway client behaves: its deadline, size caps, redirects, pooling and trust.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace ocipfs {

struct GatewayClientOptions {
  std::chrono::milliseconds timeout{30'000};  // for a whole fetch: resolve, connect, TLS, I/O
  // A document is at most 1 MiB; a CAR of its blocks adds their CIDs and framing.
  std::size_t max_body_size = 1024 * 1024 + 64 * 1024;
  std::size_t max_header_size = 64 * 1024;
  unsigned max_redirects = 5;
  std::size_t max_idle_per_origin = 16;
  std::chrono::seconds max_idle_age{30};
  std::string user_agent = "ocipfsd/" OCIPFS_VERSION;
  std::string ca_file;  // PEM certificates trusted besides the system's; loaded at construction
  // --only-if-cached: ask with Cache-Control: only-if-cached (the trustless gateway spec), so
  // that a gateway answers at once from what it holds, or 412 (then: not found) when it holds
  // nothing for the CID, instead of searching the network.
  bool only_if_cached = false;
};

}  // namespace ocipfs
