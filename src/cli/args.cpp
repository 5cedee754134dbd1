#include <array>
#include <cstdlib>
#include <string_view>

#include "cli.hpp"
#include "ocipfs/base/text.hpp"
#include "ocipfs/server/config.hpp"

namespace ocipfs::cli {

namespace {

constexpr std::string_view default_registry = "127.0.0.1:5000";

constexpr std::array<std::string_view, 5> all_commands = {"pack", "publish", "compose", "import",
                                                          "inspect"};

// A flag: --name=value given once, or a switch; and the commands that take it.
struct Option {
  std::string_view name;
  std::string_view value;  // what the value is, as --help names it; "" for a switch
  std::array<std::string_view, 5> commands;
  std::optional<std::string> Args::*slot;
};
constexpr std::array<Option, 13> options = {{
    {"--output", "FILE", {"pack", "publish", "compose"}, &Args::output},
    {"--tarball", "FILE", {"pack", "publish"}, &Args::tarball},
    {"--car", "FILE", {"pack", "publish", "compose", "import"}, &Args::car},
    {"--ipfs-dir-cid", "CID", {"pack"}, &Args::ipfs_dir_cid},
    {"--ipfs-api", "URL", {"publish", "compose", "import"}, &Args::ipfs_api},
    {"--ipfs-api-auth", "CRED", {"publish", "compose", "import"}, &Args::ipfs_api_auth},
    {"--upload", "car|files", {"publish"}, &Args::upload},
    {"--allow-outside", "DIR", {"compose"}, &Args::allow_outside},
    {"--registry", "HOST", all_commands, &Args::registry},
    {"--timeout", "DUR", {"publish", "inspect", "compose", "import"}, &Args::timeout},
    {"--verify", "strict|off", {"inspect"}, &Args::verify},
    {"--gateway", "URL", {"inspect"}, nullptr},  // repeatable: Args::gateways
    {"--json", "", all_commands, nullptr},       // a switch: Args::json
}};

bool takes(const Option& option, std::string_view command) {
  for (auto allowed : option.commands)
    if (!allowed.empty() && allowed == command) return true;
  return false;
}

void check_allowed(const Option& option, const std::string& command) {
  if (!takes(option, command))
    throw UsageError{std::string(option.name) + " is not an option of " + command};
}

// Applies a switch (a flag without a value).
bool apply_switch(Args& args, const std::string& arg) {
  for (const auto& option : options) {
    if (option.name != arg || !option.value.empty()) continue;
    check_allowed(option, args.command);
    if (args.json) throw UsageError{arg + " is given twice"};
    args.json = true;
    return true;
  }
  return false;
}

// Applies one --name=value argument to `args`.
void apply_option(Args& args, const std::string& arg) {
  if (apply_switch(args, arg)) return;
  auto eq = arg.find('=');
  if (!arg.starts_with("--") || eq == std::string::npos)
    throw UsageError{"unknown argument " + in_quotes(arg, 64) +
                     " (flags are --name=value, or -o FILE, --car FILE)"};
  std::string name = arg.substr(0, eq);
  std::string value = arg.substr(eq + 1);
  for (const auto& option : options) {
    if (option.name != name) continue;
    if (option.value.empty()) throw UsageError{name + " takes no value"};
    check_allowed(option, args.command);
    if (value.empty()) throw UsageError{name + " needs a value"};
    if (!option.slot) {
      args.gateways.push_back(value);
      return;
    }
    auto& slot = args.*option.slot;
    if (slot) throw UsageError{name + " is given twice"};
    slot = value;
    return;
  }
  throw UsageError{"unknown option " + in_quotes(name, 64) + " of " + args.command};
}

// What a command's one positional argument is, for messages.
std::string positional_name(const std::string& command) {
  if (command == "inspect") return "REF or CID";
  if (command == "compose") return "FILE";
  if (command == "import") return "SOURCE";
  return "PATH";
}

}  // namespace

Args parse_args(const std::vector<std::string>& argv) {
  Args args;
  args.command = argv.front();
  for (std::size_t i = 1; i < argv.size(); ++i) {
    const std::string& arg = argv[i];
    if (arg == "-o" || arg == "--car") {
      // The two file flags also take their FILE as the next argument.
      if (i + 1 == argv.size()) throw UsageError{arg + " needs a FILE"};
      apply_option(args, (arg == "-o" ? "--output=" : "--car=") + argv[++i]);
    } else if (!arg.starts_with("-") || arg == "-") {
      args.positional.push_back(arg);
    } else {
      apply_option(args, arg);
    }
  }
  if (args.positional.size() != 1)
    throw UsageError{args.command + " takes one " + positional_name(args.command) + ", not " +
                     std::to_string(args.positional.size())};
  if (args.json && args.output == "-")
    throw UsageError{"--json writes its object to stdout, which -o - would share: give -o FILE"};
  return args;
}

std::vector<std::string_view> flag_commands() { return {all_commands.begin(), all_commands.end()}; }

std::vector<FlagInfo> flags_of(std::string_view command) {
  std::vector<FlagInfo> flags;
  for (const auto& option : options)
    if (takes(option, command)) flags.push_back({option.name, option.value});
  return flags;
}

std::string registry_of(const Args& args) {
  std::string host = args.registry.value_or(std::string(default_registry));
  // A registry host: a name or address, an optional port, an optional path under it.
  for (char c : host)
    if (c <= ' ' || c > '~' || c == '@' || c == '\\' || c == '?' || c == '#')
      throw UsageError{"--registry must be a host like 127.0.0.1:5000 or registry.example, not " +
                       in_quotes(host, 64)};
  if (host.find("://") != std::string::npos)
    throw UsageError{"--registry takes a host, not a URL: " + in_quotes(host, 64)};
  while (host.ends_with('/')) host.pop_back();
  if (host.empty()) throw UsageError{"--registry needs a host"};
  return host;
}

std::chrono::milliseconds timeout_of(const Args& args, std::chrono::milliseconds fallback) {
  if (!args.timeout) return fallback;
  auto parsed = parse_duration(*args.timeout);
  if (!parsed) throw UsageError{"--timeout: " + parsed.error()};
  return *parsed;
}

std::optional<HttpUrl> node_api_of(const Args& args) {
  auto text = args.ipfs_api;
  if (!text && !args.car) text = environment("IPFS_API");
  if (!text) {
    if (!args.car)
      throw UsageError{args.command + " needs --car=FILE or --ipfs-api=URL (or $IPFS_API)"};
    if (args.timeout) throw UsageError{"--timeout is for --ipfs-api; a CAR needs no node"};
    if (args.ipfs_api_auth)
      throw UsageError{"--ipfs-api-auth is for --ipfs-api; a CAR needs no node"};
    return std::nullopt;
  }
  return parse_node_api(*text);
}

HttpUrl parse_node_api(const std::string& text) {
  auto api = parse_http_url(text);
  if (!api && redacted_url(text) != text)
    throw UsageError{"--ipfs-api: " + api.error() +
                     "; give them with --ipfs-api-auth=USER:PASSWORD or $IPFS_API_AUTH"};
  if (!api) throw UsageError{"--ipfs-api: " + api.error()};
  return std::move(*api);
}

IpfsApiOptions node_api_options(const Args& args) {
  IpfsApiOptions options;
  options.timeout = timeout_of(args, std::chrono::seconds(60));
  options.user_agent = "ocipfs/" OCIPFS_VERSION;
  auto credentials = args.ipfs_api_auth ? args.ipfs_api_auth : environment("IPFS_API_AUTH");
  if (!credentials) return options;
  // A field value: no control character may end the field early (the value is not shown).
  for (char c : *credentials)
    if (c <= ' ' || c > '~')
      throw UsageError{std::string(args.ipfs_api_auth ? "--ipfs-api-auth" : "$IPFS_API_AUTH") +
                       " must be a token or USER:PASSWORD of printable ASCII without spaces"};
  options.authorization = ipfs_api_authorization(*credentials);
  return options;
}

std::optional<std::string> environment(const char* name) {
  const char* value = std::getenv(name);
  if (!value || !*value) return std::nullopt;
  return std::string(value);
}

Destination destination_of(const Args& args) {
  Destination out;
  out.api = node_api_of(args);
  out.registry = registry_of(args);
  out.api_options = node_api_options(args);
  if (args.car) out.car = std::filesystem::path(*args.car);
  return out;
}

}  // namespace ocipfs::cli
