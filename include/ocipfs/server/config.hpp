// The daemon's configuration: one aggregate of nested parts with defaults written once, and the
// command line that fills it from one table of flags.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ocipfs/base/expected.hpp"
#include "ocipfs/gateway/hedge.hpp"
#include "ocipfs/gateway/options.hpp"
#include "ocipfs/http/url.hpp"
#include "ocipfs/registry/redirect.hpp"

namespace ocipfs {

inline constexpr std::string_view default_gateway = "https://ipfs.io";

// The number of cores, at least 1.
unsigned default_threads();

struct ListenConfig {
  std::string host = "0.0.0.0";
  std::uint16_t port = 8080;  // $PORT when set
  unsigned threads = default_threads();
};

struct LimitsConfig {
  std::chrono::milliseconds idle_timeout{60'000};     // a kept-alive connection with no request
  std::chrono::milliseconds request_timeout{30'000};  // reading one request's header, writing
  std::chrono::milliseconds shutdown_grace{10'000};   // SIGTERM: time for requests in flight
  std::size_t max_header_size = 16 * 1024;
  // Open client connections at most; past it, new ones get a 503 and are closed. Lowered at
  // start to what the file-descriptor limit allows (connection_budget in server/server.hpp).
  std::size_t max_connections = 16384;
};

// How layer downloads are answered: a 302 to the redirect gateway, or the bytes themselves,
// streamed from the gateways and proven against the layer's digest on the way.
enum class BlobMode { redirect, proxy };

struct GatewayConfig {
  std::vector<HttpUrl> urls;  // where documents are fetched, in order of preference; never empty
  // Indexed like `urls` (an index past its end is a plain gateway): --gateway=URL,trustless, a
  // gateway that answers only raw blocks and CARs, asked for them even with --verify=off, and
  // never one that clients are sent to.
  std::vector<bool> trustless;
  // Where clients are sent for layer bytes; the first URL by default. When that one is trustless,
  // --blobs defaults to proxy, and --blobs=redirect needs --redirect-gateway.
  RedirectGateway redirect;
  bool verify = true;  // --verify=strict: prove gateway content against the CID
  GatewayClientOptions client;
  // --hedge-after: auto by default; its ceiling is half the gateway timeout, and a fixed delay
  // is shorter than the timeout.
  HedgePolicy hedge;
  // --max-gateway-fetches: gateway sockets in use at once in the whole process (a hedge takes a
  // second one). Lowered at start to what the file-descriptor limit allows (descriptor_budget).
  std::size_t max_fetches = 256;
  BlobMode blobs = BlobMode::redirect;  // --blobs
  // --max-blob-transfers: proxied layer downloads under way at once in the whole process; each
  // holds a gateway connection and a window of memory (gateway/layer_stream.hpp).
  std::size_t max_blob_transfers = 64;
};

struct CacheConfig {
  std::size_t bytes = 128 * 1024 * 1024;         // resolved images and verified documents in memory
  std::chrono::milliseconds failure_ttl{5'000};  // a gateway failure is answered again this long
  // --document-memory: documents being fetched, parsed and composed, by all requests at once.
  std::size_t document_memory = 128 * 1024 * 1024;
};

// An image document of 1 MiB composes into a manifest a platform: about 9 MiB, and a layer
// manifest fetched meanwhile.
inline constexpr std::size_t min_document_memory = 16 * 1024 * 1024;

struct LogConfig {
  std::string level = "info";
  bool json = false;    // --log-format=json; the default on Cloud Run ($K_SERVICE set)
  std::string project;  // $GOOGLE_CLOUD_PROJECT, for trace correlation in JSON logs
};

// --tls-cert and --tls-key: both or neither. With them the listener speaks HTTPS only, and
// SIGHUP loads both files again.
struct TlsConfig {
  std::string cert_file;  // PEM: the server's certificate, then its intermediates
  std::string key_file;   // PEM: the certificate's private key
  bool enabled() const { return !cert_file.empty(); }
};

struct ReadinessConfig {
  bool check = false;  // /readyz also needs a gateway that answered within `window`
  std::chrono::milliseconds window{5 * 60 * 1000};
};

struct PagesConfig {
  // --public-host: the host[:port] the pages' examples name; empty: the request's Host.
  std::string public_host;
};

struct Config {
  ListenConfig listen;
  TlsConfig tls;
  LimitsConfig limits;
  GatewayConfig gateway;
  CacheConfig cache;
  LogConfig log;
  ReadinessConfig ready;
  PagesConfig pages;
};

enum class Command { run, help, version };

struct CommandLine {
  Command command = Command::run;
  Config config;
};

// Reads an environment variable; nullopt when unset.
using Environment = std::function<std::optional<std::string>(std::string_view name)>;

// Parses the arguments after the program name. Every flag but --help and --version has an
// environment twin, OCIPFSD_ and its name in capitals with '_' for '-' (OCIPFSD_GATEWAY_TIMEOUT);
// the command line wins over it, and it over the defaults. A repeatable flag's twin is a
// comma-separated list; a switch's is true, false, 1 or 0; an empty one counts as unset.
// $PORT sets the default listen port (OCIPFSD_LISTEN wins over it), $K_SERVICE the JSON log
// format, $GOOGLE_CLOUD_PROJECT the log's project. The error is one line saying which flag or
// variable is wrong and why.
Expected<CommandLine> parse_command_line(const std::vector<std::string>& args,
                                         const Environment& environment);

// Parses "128MiB", "64MB", "512KiB", "1GiB" or a bare number of bytes.
Expected<std::size_t> parse_size(std::string_view text);

// Parses "30s", "500ms", "2m" or a bare number of seconds.
Expected<std::chrono::milliseconds> parse_duration(std::string_view text);

// The --help text, made from the flag table.
std::string usage();

}  // namespace ocipfs
