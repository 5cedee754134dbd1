#include "ocipfs/server/config.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <set>
#include <thread>

#include "ocipfs/base/text.hpp"
#include "ocipfs/registry/pages.hpp"

namespace ocipfs {

namespace {

using Problem = std::optional<std::string>;  // what is wrong with a flag's value, if anything

// How a flag's environment twin (OCIPFSD_ and its name in capitals, '_' for '-') is read: one
// value; a comma-separated list of values, as if the flag were repeated; or none.
enum class Twin { single, list, none };

// A flag: `--name=VALUE`, or `--name` alone when `value` is empty. `help` is its text in --help,
// wrapped lines after the first indented by the caller.
struct Flag {
  std::string_view name;
  std::string_view value;
  std::string_view help;
  Problem (*apply)(CommandLine& line, std::string_view value);
  Twin twin = Twin::single;
};

template <class Int>
std::optional<Int> parse_int(std::string_view text) {
  Int value{};
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

Problem parse_listen(ListenConfig& listen, std::string_view text) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return "must be HOST:PORT, e.g. 0.0.0.0:8080";
  std::string host(text.substr(0, colon));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  auto port = parse_int<std::uint16_t>(text.substr(colon + 1));
  if (host.empty() || !port) return "must be HOST:PORT with a port from 0 to 65535";
  listen.host = std::move(host);
  listen.port = *port;
  return std::nullopt;
}

Problem set_duration(std::chrono::milliseconds& slot, std::string_view value) {
  auto duration = parse_duration(value);
  if (!duration) return duration.error();
  slot = *duration;
  return std::nullopt;
}

Problem set_whole(std::size_t& slot, std::string_view value, std::size_t low, std::size_t high) {
  auto number = parse_int<std::size_t>(value);
  if (!number || *number < low || *number > high)
    return "must be a whole number from " + std::to_string(low) + " to " + std::to_string(high);
  slot = *number;
  return std::nullopt;
}

Problem set_choice(std::string_view value, std::initializer_list<std::string_view> choices,
                   std::string& slot) {
  if (std::find(choices.begin(), choices.end(), value) != choices.end()) {
    slot = std::string(value);
    return std::nullopt;
  }
  std::string list;
  for (auto choice : choices) list += (list.empty() ? "" : ", ") + std::string(choice);
  return "must be one of " + list;
}

// A marker's word: lowercase letters, as after the comma of --gateway=URL,trustless.
bool is_marker(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= 'a' && c <= 'z'; });
}

// Marks the gateway given last; trustless is the one marker.
Problem mark_gateway(GatewayConfig& gateway, std::string_view marker) {
  if (marker != "trustless")
    return in_quotes(marker, 32) + " is neither a URL nor a marker (trustless, after a URL)";
  if (gateway.urls.empty()) return "trustless marks the gateway before it: give its URL first";
  gateway.trustless.back() = true;
  return std::nullopt;
}

// "URL", "URL,trustless", or (an item of the twin's list) the marker alone, after its URL.
Problem add_gateway(CommandLine& line, std::string_view value) {
  auto& gateway = line.config.gateway;
  if (is_marker(value)) return mark_gateway(gateway, value);
  std::string_view marker;
  if (auto comma = value.rfind(',');
      comma != std::string_view::npos && is_marker(value.substr(comma + 1))) {
    marker = value.substr(comma + 1);
    value = value.substr(0, comma);
  }
  auto url = parse_http_url(value);
  if (!url) return url.error();
  if (gateway.urls.size() >= 16) return "at most 16 gateways";
  gateway.urls.push_back(std::move(*url));
  gateway.trustless.resize(gateway.urls.size());
  return marker.empty() ? std::nullopt : mark_gateway(gateway, marker);
}

Problem set_redirect(CommandLine& line, std::string_view value) {
  auto gateway = parse_redirect_gateway(value);
  if (!gateway) return gateway.error();
  line.config.gateway.redirect = std::move(*gateway);
  return std::nullopt;
}

Problem set_threads(CommandLine& line, std::string_view value) {
  std::size_t threads = 0;
  if (auto problem = set_whole(threads, value, 1, 256)) return problem;
  line.config.listen.threads = static_cast<unsigned>(threads);
  return std::nullopt;
}

Problem set_cache_size(CommandLine& line, std::string_view value) {
  auto size = parse_size(value);
  if (!size) return size.error();
  line.config.cache.bytes = *size;
  return std::nullopt;
}

Problem set_document_memory(CommandLine& line, std::string_view value) {
  auto size = parse_size(value);
  if (!size) return size.error();
  if (*size < min_document_memory)
    return "at least 16MiB: an image document of 1 MiB and its manifests must fit";
  line.config.cache.document_memory = *size;
  return std::nullopt;
}

Problem set_failure_ttl(CommandLine& line, std::string_view value) {
  auto& ttl = line.config.cache.failure_ttl;
  if (value == "0" || value == "0s" || value == "0ms") {
    ttl = std::chrono::milliseconds(0);
    return std::nullopt;
  }
  if (auto problem = set_duration(ttl, value)) return problem;
  if (ttl > std::chrono::minutes(5)) return "must be at most 5m";
  return std::nullopt;
}

Problem set_hedge_after(CommandLine& line, std::string_view value) {
  auto& hedge = line.config.gateway.hedge;
  if (value == "auto" || value == "off" || value == "0" || value == "0s" || value == "0ms") {
    hedge.mode = value == "auto" ? HedgePolicy::Mode::automatic : HedgePolicy::Mode::off;
    return std::nullopt;
  }
  auto duration = parse_duration(value);
  if (!duration)
    return in_quotes(value, 32) + " is not auto, off (or 0) or a duration like 250ms or 2s";
  hedge.mode = HedgePolicy::Mode::fixed;
  hedge.after = *duration;
  return std::nullopt;
}

// What can only be checked once every flag is read.
Problem check_hedge(GatewayConfig& gateway) {
  auto timeout = gateway.client.timeout;
  gateway.hedge.ceiling = timeout / 2;
  if (gateway.hedge.mode == HedgePolicy::Mode::fixed && gateway.hedge.after >= timeout)
    return "--hedge-after=" + duration_text(gateway.hedge.after) +
           " must be shorter than --gateway-timeout (" + duration_text(timeout) + ")";
  return std::nullopt;
}

Problem set_log_format(CommandLine& line, std::string_view value) {
  if (value != "json" && value != "text") return "must be json or text";
  line.config.log.json = value == "json";
  return std::nullopt;
}

Problem set_verify(CommandLine& line, std::string_view value) {
  if (value != "strict" && value != "off") return "must be strict or off";
  line.config.gateway.verify = value == "strict";
  return std::nullopt;
}

Problem set_blobs(CommandLine& line, std::string_view value) {
  if (value != "redirect" && value != "proxy") return "must be redirect or proxy";
  line.config.gateway.blobs = value == "proxy" ? BlobMode::proxy : BlobMode::redirect;
  return std::nullopt;
}

Problem set_pem_path(std::string& slot, std::string_view value) {
  if (value.empty()) return "must name a PEM file";
  slot = std::string(value);
  return std::nullopt;
}

Problem set_ca_file(CommandLine& line, std::string_view value) {
  return set_pem_path(line.config.gateway.client.ca_file, value);
}

// What can only be checked once every flag is read: clients cannot be sent to a trustless
// gateway, so when the redirect gateway defaults to one, layers go through ocipfsd.
Problem check_blobs(GatewayConfig& gateway, const std::set<std::string_view>& given) {
  gateway.trustless.resize(gateway.urls.size());
  if (given.contains("--redirect-gateway") || !gateway.trustless.front()) return std::nullopt;
  if (!given.contains("--blobs")) {
    gateway.blobs = BlobMode::proxy;
    return std::nullopt;
  }
  if (gateway.blobs == BlobMode::proxy) return std::nullopt;
  return "--blobs=redirect sends clients to the first gateway, " + gateway.urls.front().origin() +
         ", which is trustless (it answers only blocks and CARs): set --redirect-gateway to a "
         "gateway clients can download from, or --blobs=proxy";
}

// What can only be checked once every flag is read.
Problem check_tls(const TlsConfig& tls) {
  if (tls.cert_file.empty() != tls.key_file.empty())
    return "--tls-cert and --tls-key go together: give both, or neither for plain HTTP";
  return std::nullopt;
}

Problem set_command(CommandLine& line, Command command) {
  line.command = command;
  return std::nullopt;
}

const std::array<Flag, 27> flags = {{
    {"--gateway", "URL",
     "IPFS HTTP gateway for layer manifests (http or https, optional path\n"
     "prefix). Repeat it to fall back on others. URL,trustless: a gateway\n"
     "that answers only blocks and CARs, asked for them, never sent to\n"
     "clients; layers from it come as CARs proven block by block (a list:\n"
     "URL,trustless,URL2). Default: https://ipfs.io",
     add_gateway, Twin::list},
    {"--redirect-gateway", "URL",
     "public gateway that clients download layers from: a path gateway, or\n"
     "a subdomain template like https://{cid}.ipfs.dweb.link.\n"
     "Default: the first gateway",
     set_redirect},
    {"--verify", "strict|off", "prove that gateway content is what the CID names. Default: strict",
     set_verify},
    {"--blobs", "redirect|proxy",
     "how layer downloads are answered: redirect (a 302 to\n"
     "--redirect-gateway), or proxy: streamed from the gateways through\n"
     "ocipfsd and proven against the layer's digest on the way, for clients\n"
     "that cannot reach a gateway. Default: redirect; proxy when the first\n"
     "gateway is trustless and --redirect-gateway is not given",
     set_blobs},
    {"--max-blob-transfers", "N",
     "with --blobs=proxy, layer downloads under way at once; past it, a\n"
     "download waits up to --gateway-timeout, else is answered 503.\n"
     "Each holds a gateway connection and 1 MiB. Default: 64",
     [](CommandLine& line, std::string_view value) {
       return set_whole(line.config.gateway.max_blob_transfers, value, 1, 100'000);
     }},
    {"--listen", "HOST:PORT",
     "address to listen on. Default: 0.0.0.0:$PORT, PORT defaulting to 8080",
     [](CommandLine& line, std::string_view value) {
       return parse_listen(line.config.listen, value);
     }},
    {"--tls-cert", "PEM",
     "serve HTTPS with this certificate chain (the server's certificate,\n"
     "then its intermediates); needs --tls-key. SIGHUP reloads both",
     [](CommandLine& line, std::string_view value) {
       return set_pem_path(line.config.tls.cert_file, value);
     }},
    {"--tls-key", "PEM", "the private key of --tls-cert",
     [](CommandLine& line, std::string_view value) {
       return set_pem_path(line.config.tls.key_file, value);
     }},
    {"--threads", "N", "server threads. Default: the number of cores", set_threads},
    {"--gateway-timeout", "DUR", "deadline for one gateway fetch, e.g. 30s, 500ms. Default: 30s",
     [](CommandLine& line, std::string_view value) {
       return set_duration(line.config.gateway.client.timeout, value);
     }},
    {"--hedge-after", "DUR",
     "with several gateways, when the first has not answered within DUR,\n"
     "ask the next one too; the first proven answer wins, the other fetch\n"
     "is cancelled. auto: from the first gateway's recent latency (mean +\n"
     "2 deviations; 500ms until it has answered), at least 100ms, at most\n"
     "half --gateway-timeout. off or 0: one at a time. Default: auto",
     set_hedge_after},
    {"--idle-timeout", "DUR", "close kept-alive connections idle this long. Default: 60s",
     [](CommandLine& line, std::string_view value) {
       return set_duration(line.config.limits.idle_timeout, value);
     }},
    {"--request-timeout", "DUR", "deadline for reading a request header. Default: 30s",
     [](CommandLine& line, std::string_view value) {
       return set_duration(line.config.limits.request_timeout, value);
     }},
    {"--shutdown-grace", "DUR", "on SIGTERM, time for requests in flight. Default: 10s",
     [](CommandLine& line, std::string_view value) {
       return set_duration(line.config.limits.shutdown_grace, value);
     }},
    {"--cache-size", "SIZE", "memory for resolved images, e.g. 128MiB, 1GiB. Default: 128MiB",
     set_cache_size},
    {"--document-memory", "SIZE",
     "memory for documents being fetched, parsed and composed, shared by\n"
     "all requests; past it, a fetch waits up to --gateway-timeout, else\n"
     "is answered 503. At least 16MiB. Default: 128MiB",
     set_document_memory},
    {"--failure-ttl", "DUR",
     "answer a failure at the gateways (404, timeout, 5xx, content that\n"
     "does not match its CID) again for this long without asking them;\n"
     "0: never. At most 5m. Default: 5s",
     set_failure_ttl},
    {"--max-connections", "N",
     "open client connections at most; past it, new ones are answered\n"
     "503 and closed. Default: 16384, or less if the open-file limit is low",
     [](CommandLine& line, std::string_view value) {
       return set_whole(line.config.limits.max_connections, value, 1, 1'000'000);
     }},
    {"--max-gateway-fetches", "N",
     "gateway fetches under way at once, in the whole process (a hedge\n"
     "takes one more); past it, a fetch waits up to --gateway-timeout for\n"
     "one to end, else is answered 503. Default: 256, or less if the\n"
     "open-file limit is low",
     [](CommandLine& line, std::string_view value) {
       return set_whole(line.config.gateway.max_fetches, value, 1, 100'000);
     }},
    {"--gateway-ca-file", "PATH",
     "PEM file of CA certificates to trust for https gateways, besides\n"
     "the system's (e.g. a private gateway with its own CA)",
     set_ca_file},
    {"--only-if-cached", "",
     "ask the gateways with Cache-Control: only-if-cached: a gateway that\n"
     "honours it (Kubo, Rainbow) answers at once from what it holds, or 412\n"
     "when it holds no copy, and a CID no gateway holds is answered 404\n"
     "at once instead of after --gateway-timeout. Only for gateways that\n"
     "serve what they hold (your own node): a public gateway answers 412\n"
     "for content it would have found",
     [](CommandLine& line, std::string_view) -> Problem {
       line.config.gateway.client.only_if_cached = true;
       return std::nullopt;
     }},
    {"--ready-check", "", "/readyz is ready only once a gateway has answered in the last 5 min",
     [](CommandLine& line, std::string_view) -> Problem {
       line.config.ready.check = true;
       return std::nullopt;
     }},
    {"--public-host", "HOST",
     "host[:port] that the pages for browsers name in their examples\n"
     "(COPY --from=, FROM, docker pull). Default: the request's Host,\n"
     "when it is a valid host[:port]",
     [](CommandLine& line, std::string_view value) -> Problem {
       if (!is_public_host(value)) return "must be HOST or HOST:PORT, e.g. ocipfs.io";
       line.config.pages.public_host = std::string(value);
       return std::nullopt;
     }},
    {"--log-format", "json|text",
     "JSON lines for Cloud Logging, or text. Default: json when $K_SERVICE\n"
     "is set (Cloud Run), else text",
     set_log_format},
    {"--log-level", "LEVEL", "trace, debug, info, warn, error, critical or off. Default: info",
     [](CommandLine& line, std::string_view value) {
       return set_choice(value, {"trace", "debug", "info", "warn", "error", "critical", "off"},
                         line.config.log.level);
     }},
    {"--help", "", "print this help and exit",
     [](CommandLine& line, std::string_view) { return set_command(line, Command::help); },
     Twin::none},
    {"--version", "", "print the version and exit",
     [](CommandLine& line, std::string_view) { return set_command(line, Command::version); },
     Twin::none},
}};

const Flag* find_flag(std::string_view name) {
  if (name == "-h") name = "--help";
  for (const auto& flag : flags)
    if (flag.name == name) return &flag;
  return nullptr;
}

// "OCIPFSD_GATEWAY_TIMEOUT" for --gateway-timeout.
std::string twin_name(const Flag& flag) {
  std::string name = "OCIPFSD_";
  for (char c : flag.name.substr(2))
    name += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name;
}

// The twin's line in --help.
std::string twin_help(const Flag& flag) {
  std::string help = "$" + twin_name(flag);
  if (flag.value.empty()) return help + "=true|false (or 1|0)";
  return flag.twin == Twin::list ? help + ", a comma-separated list" : help;
}

std::string_view without_spaces_around(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return text;
}

// Applies a twin's value as the flag would be: a switch when true or 1, each item of a list
// in turn, or the one value.
Problem apply_twin(CommandLine& line, const Flag& flag, std::string_view value) {
  if (flag.value.empty()) {
    if (value == "true" || value == "1") return flag.apply(line, {});
    if (value == "false" || value == "0") return std::nullopt;
    return "must be true, false, 1 or 0";
  }
  if (flag.twin == Twin::single) return flag.apply(line, value);
  for (std::size_t start = 0;;) {
    auto comma = value.find(',', start);
    auto item = without_spaces_around(value.substr(start, comma - start));
    if (auto problem = flag.apply(line, item)) return problem;
    if (comma == std::string_view::npos) return std::nullopt;
    start = comma + 1;
  }
}

// Reads the twins of the flags not in `given` (those on the command line), and adds to it
// those that were set. An empty variable counts as unset.
Problem read_twins(CommandLine& line, const Environment& environment,
                   std::set<std::string_view>& given) {
  for (const auto& flag : flags) {
    if (flag.twin == Twin::none || given.contains(flag.name)) continue;
    std::string name = twin_name(flag);
    auto value = environment(name);
    if (!value || value->empty()) continue;
    if (auto problem = apply_twin(line, flag, *value)) return name + ": " + *problem;
    given.insert(flag.name);
  }
  return std::nullopt;
}

Problem read_environment(CommandLine& line, const Environment& environment) {
  Config& config = line.config;
  if (auto port = environment("PORT"); port && !port->empty()) {
    auto parsed = parse_int<std::uint16_t>(*port);
    if (!parsed) return "$PORT=\"" + port->substr(0, 16) + "\" is not a port number";
    config.listen.port = *parsed;
  }
  if (auto service = environment("K_SERVICE"); service && !service->empty()) config.log.json = true;
  if (auto project = environment("GOOGLE_CLOUD_PROJECT")) config.log.project = *project;
  return std::nullopt;
}

// Applies one argument: "--name=value", or a flag that takes no value.
Problem apply_argument(CommandLine& line, const std::string& arg) {
  auto eq = arg.find('=');
  const Flag* flag = find_flag(std::string_view(arg).substr(0, eq));
  if (flag && flag->value.empty() && eq == std::string::npos) return flag->apply(line, {});
  if (!arg.starts_with("--") || eq == std::string::npos)
    return "unknown argument \"" + arg.substr(0, 64) + "\" (flags are --name=value; see --help)";
  std::string name = arg.substr(0, eq);
  if (!flag || flag->value.empty()) return "unknown flag " + name.substr(0, 64) + " (see --help)";
  if (auto problem = flag->apply(line, std::string_view(arg).substr(eq + 1)))
    return name + ": " + *problem;
  return std::nullopt;
}

}  // namespace

unsigned default_threads() { return std::max(1u, std::thread::hardware_concurrency()); }

std::string usage() {
  std::string out =
      "Usage: ocipfsd [flags]\n\n"
      "A pull-only OCI registry that serves images stored on IPFS: a layer, or an image of\n"
      "layers (composed, or imported unchanged):\n"
      "  COPY --from=HOST/layer/<cid>:<file> / /\n"
      "  FROM HOST/image/<cid>\n\nFlags:\n";
  constexpr std::size_t column = 27;
  for (const auto& flag : flags) {
    std::string left = "  " + std::string(flag.name);
    if (!flag.value.empty()) left += "=" + std::string(flag.value);
    out += left;
    out.append(column > left.size() ? column - left.size() : 1, ' ');
    for (char c : flag.help) {
      out += c;
      if (c == '\n') out.append(column, ' ');
    }
    if (flag.twin != Twin::none) out += '\n' + std::string(column, ' ') + twin_help(flag);
    out += '\n';
  }
  return out +
         "\nThe environment variable under a flag sets it too; the command line wins over it, and\n"
         "$OCIPFSD_LISTEN over $PORT. An empty variable counts as unset. A list's items are\n"
         "separated by commas: a URL with a comma in it needs the flag.\n";
}

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
  CommandLine line;
  if (auto problem = read_environment(line, environment)) return Unexpected{*problem};
  std::set<std::string_view> given;  // flags set on the command line, then by their twins
  for (const auto& arg : args)
    if (const Flag* flag = find_flag(std::string_view(arg).substr(0, arg.find('='))))
      given.insert(flag->name);
  for (const auto& arg : args)
    if (auto problem = apply_argument(line, arg)) return Unexpected{*problem};
  if (line.command != Command::run) return line;
  if (auto problem = read_twins(line, environment, given)) return Unexpected{*problem};
  GatewayConfig& gateway = line.config.gateway;
  if (gateway.urls.empty()) gateway.urls.push_back(*parse_http_url(default_gateway));
  if (!given.contains("--redirect-gateway"))
    gateway.redirect = RedirectGateway{gateway.urls.front(), false, {}};
  if (auto problem = check_blobs(gateway, given)) return Unexpected{*problem};
  if (auto problem = check_hedge(gateway)) return Unexpected{*problem};
  if (auto problem = check_tls(line.config.tls)) return Unexpected{*problem};
  return line;
}

}  // namespace ocipfs
