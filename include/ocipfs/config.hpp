// The daemon's configuration: one aggregate with defaults, and the command line that fills it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ocipfs/expected.hpp"
#include "ocipfs/http_url.hpp"
#include "ocipfs/redirect.hpp"

namespace ocipfs {

inline constexpr std::string_view default_gateway = "https://ipfs.io";

struct Config {
  std::string listen_host = "0.0.0.0";
  std::uint16_t listen_port = 8080;
  unsigned threads = 1;
  std::vector<HttpUrl> gateways;     // where layer manifests are fetched, in order of preference
  RedirectGateway redirect_gateway;  // where clients are sent for layer bytes
  bool verify = true;                // --verify=strict: prove gateway content against the CID
  std::chrono::milliseconds gateway_timeout{30'000};
  std::chrono::milliseconds idle_timeout{60'000};     // a kept-alive connection with no request
  std::chrono::milliseconds request_timeout{30'000};  // reading one request's header
  std::size_t max_header_size = 16 * 1024;
  // Open client connections at most; past it, new ones get a 503 and are closed. Lowered at
  // start to what the file-descriptor limit allows (connection_budget in server.hpp).
  std::size_t max_connections = 16384;
  std::string gateway_ca_file;  // PEM certificates trusted for gateway TLS besides the system's
  std::size_t cache_size = 128 * 1024 * 1024;  // bytes of resolved images kept in memory
  std::string log_level = "info";
  bool log_json = false;  // --log-format=json; the default on Cloud Run ($K_SERVICE set)
  std::string project;    // $GOOGLE_CLOUD_PROJECT, for trace correlation in JSON logs
  std::chrono::milliseconds shutdown_grace{10'000};  // SIGTERM: time for requests in flight
  bool ready_check = false;  // /readyz also needs a gateway that answered within ready_window
  std::chrono::milliseconds ready_window{5 * 60 * 1000};
};

enum class Command { run, help, version };

struct CommandLine {
  Command command = Command::run;
  Config config;
};

// Reads an environment variable; empty when unset.
using Environment = std::function<std::optional<std::string>(std::string_view name)>;

// Parses the arguments after the program name. $PORT sets the default listen port.
// The error is one line saying which flag is wrong and why.
Expected<CommandLine> parse_command_line(const std::vector<std::string>& args,
                                         const Environment& environment);

// Parses "128MiB", "64MB", "512KiB", "1GiB" or a bare number of bytes.
Expected<std::size_t> parse_size(std::string_view text);

// Parses "30s", "500ms", "2m" or a bare number of seconds.
Expected<std::chrono::milliseconds> parse_duration(std::string_view text);

std::string usage();

}  // namespace ocipfs
