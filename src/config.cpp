#include "ocipfs/config.hpp"

#include <algorithm>
#include <charconv>
#include <thread>

#include "ocipfs/text.hpp"

namespace ocipfs {

namespace {

const char* const help_text = R"(Usage: ocipfsd [flags]

A pull-only OCI registry that serves one-layer images from IPFS:
  COPY --from=HOST/layer/<cid>:<file> / /

Flags:
  --gateway=URL            IPFS HTTP gateway for layer manifests (http or https, optional path
                           prefix). Repeat it to fall back on others. Default: https://ipfs.io
  --redirect-gateway=URL   public gateway that clients download layers from: a path gateway, or
                           a subdomain template like https://{cid}.ipfs.dweb.link.
                           Default: the first gateway
  --verify=strict|off      prove that gateway content is what the CID names. Default: strict
  --listen=HOST:PORT       address to listen on. Default: 0.0.0.0:$PORT, PORT defaulting to 8080
  --threads=N              server threads. Default: the number of cores
  --gateway-timeout=DUR    deadline for one gateway fetch, e.g. 30s, 500ms. Default: 30s
  --idle-timeout=DUR       close kept-alive connections idle this long. Default: 60s
  --request-timeout=DUR    deadline for reading a request header. Default: 30s
  --shutdown-grace=DUR     on SIGTERM, time for requests in flight. Default: 10s
  --cache-size=SIZE        memory for resolved images, e.g. 128MiB, 1GiB. Default: 128MiB
  --max-connections=N      open client connections at most; past it, new ones are answered
                           503 and closed. Default: 16384, or less if the open-file limit is low
  --gateway-ca-file=PATH   PEM file of CA certificates to trust for https gateways, besides
                           the system's (e.g. a private gateway with its own CA)
  --ready-check            /readyz is ready only once a gateway has answered in the last 5 min
  --log-format=json|text   JSON lines for Cloud Logging, or text. Default: json when $K_SERVICE
                           is set (Cloud Run), else text
  --log-level=LEVEL        trace, debug, info, warn, error, critical or off. Default: info
  --help                   print this help and exit
  --version                print the version and exit
)";

template <class Int>
std::optional<Int> parse_int(std::string_view text) {
  Int value{};
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

Expected<std::pair<std::string, std::uint16_t>> parse_listen(std::string_view text) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos)
    return Unexpected{std::string("--listen must be HOST:PORT, e.g. 0.0.0.0:8080")};
  std::string host(text.substr(0, colon));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  auto port = parse_int<std::uint16_t>(text.substr(colon + 1));
  if (host.empty() || !port)
    return Unexpected{std::string("--listen must be HOST:PORT with a port from 0 to 65535")};
  return std::pair{host, *port};
}

}  // namespace

std::string usage() { return help_text; }

Expected<std::size_t> parse_size(std::string_view text) {
  static const std::pair<std::string_view, std::size_t> units[] = {
      {"GiB", 1u << 30}, {"MiB", 1u << 20}, {"KiB", 1u << 10}, {"GB", 1'000'000'000},
      {"MB", 1'000'000}, {"KB", 1'000},     {"kB", 1'000},     {"B", 1}};
  std::string_view number = text;
  std::size_t scale = 1;
  for (const auto& [suffix, factor] : units) {
    if (text.ends_with(suffix)) {
      number.remove_suffix(suffix.size());
      scale = factor;
      break;
    }
  }
  auto value = parse_int<std::size_t>(number);
  constexpr std::size_t limit = std::size_t{1} << 40;
  if (!value || *value > limit / scale)
    return Unexpected{in_quotes(text, 32) +
                      " is not a size like 128MiB, 64MB or 1048576 (at most 1TiB)"};
  return *value * scale;
}

Expected<std::chrono::milliseconds> parse_duration(std::string_view text) {
  std::string_view number = text;
  long long scale = 1000;
  if (text.ends_with("ms")) {
    number.remove_suffix(2);
    scale = 1;
  } else if (text.ends_with("s")) {
    number.remove_suffix(1);
  } else if (text.ends_with("m")) {
    number.remove_suffix(1);
    scale = 60'000;
  }
  auto value = parse_int<long long>(number);
  if (!value || *value <= 0 || *value > 86'400'000 / scale)
    return Unexpected{in_quotes(text, 32) +
                      " is not a duration like 30s, 500ms or 2m (at most a day)"};
  return std::chrono::milliseconds(*value * scale);
}

Expected<CommandLine> parse_command_line(const std::vector<std::string>& args,
                                         const Environment& environment) {
  CommandLine result;
  Config& config = result.config;
  config.threads = std::max(1u, std::thread::hardware_concurrency());
  if (auto port = environment("PORT"); port && !port->empty()) {
    auto parsed = parse_int<std::uint16_t>(*port);
    if (!parsed) return Unexpected{"$PORT=\"" + port->substr(0, 16) + "\" is not a port number"};
    config.listen_port = *parsed;
  }
  std::optional<RedirectGateway> redirect;
  if (auto service = environment("K_SERVICE"); service && !service->empty()) config.log_json = true;
  if (auto project = environment("GOOGLE_CLOUD_PROJECT")) config.project = *project;

  for (const auto& arg : args) {
    if (arg == "--help" || arg == "-h") {
      result.command = Command::help;
      continue;
    }
    if (arg == "--ready-check") {
      config.ready_check = true;
      continue;
    }
    if (arg == "--version") {
      result.command = Command::version;
      continue;
    }
    auto eq = arg.find('=');
    if (!arg.starts_with("--") || eq == std::string::npos) {
      return Unexpected{"unknown argument \"" + arg.substr(0, 64) +
                        "\" (flags are --name=value; see --help)"};
    }
    std::string name = arg.substr(0, eq);
    std::string_view value = std::string_view(arg).substr(eq + 1);
    auto fail = [&](const std::string& why) { return Unexpected{name + ": " + why}; };

    if (name == "--gateway") {
      auto url = parse_http_url(value);
      if (!url) return fail(url.error());
      if (config.gateways.size() >= 16) return fail("at most 16 gateways");
      config.gateways.push_back(std::move(*url));
    } else if (name == "--redirect-gateway") {
      auto gateway = parse_redirect_gateway(value);
      if (!gateway) return fail(gateway.error());
      redirect = std::move(*gateway);
    } else if (name == "--verify") {
      if (value != "strict" && value != "off") return fail("must be strict or off");
      config.verify = value == "strict";
    } else if (name == "--listen") {
      auto listen = parse_listen(value);
      if (!listen) return Unexpected{listen.error()};
      std::tie(config.listen_host, config.listen_port) = *listen;
    } else if (name == "--threads") {
      auto threads = parse_int<unsigned>(value);
      if (!threads || *threads == 0 || *threads > 256)
        return fail("must be a whole number from 1 to 256");
      config.threads = *threads;
    } else if (name == "--gateway-timeout" || name == "--idle-timeout" ||
               name == "--request-timeout" || name == "--shutdown-grace") {
      auto duration = parse_duration(value);
      if (!duration) return fail(duration.error());
      (name == "--gateway-timeout"  ? config.gateway_timeout
       : name == "--idle-timeout"   ? config.idle_timeout
       : name == "--shutdown-grace" ? config.shutdown_grace
                                    : config.request_timeout) = *duration;
    } else if (name == "--cache-size") {
      auto size = parse_size(value);
      if (!size) return fail(size.error());
      config.cache_size = *size;
    } else if (name == "--max-connections") {
      auto connections = parse_int<std::size_t>(value);
      if (!connections || *connections == 0 || *connections > 1'000'000)
        return fail("must be a whole number from 1 to 1000000");
      config.max_connections = *connections;
    } else if (name == "--gateway-ca-file") {
      if (value.empty()) return fail("must name a PEM file");
      config.gateway_ca_file = std::string(value);
    } else if (name == "--log-format") {
      if (value != "json" && value != "text") return fail("must be json or text");
      config.log_json = value == "json";
    } else if (name == "--log-level") {
      static const char* const levels[] = {"trace", "debug",    "info", "warn",
                                           "error", "critical", "off"};
      if (std::find(std::begin(levels), std::end(levels), value) == std::end(levels))
        return fail("must be one of trace, debug, info, warn, error, critical, off");
      config.log_level = std::string(value);
    } else {
      return Unexpected{"unknown flag " + name.substr(0, 64) + " (see --help)"};
    }
  }
  if (config.gateways.empty()) config.gateways.push_back(*parse_http_url(default_gateway));
  config.redirect_gateway =
      redirect ? *redirect : RedirectGateway{config.gateways.front(), false, {}};
  return result;
}

}  // namespace ocipfs
