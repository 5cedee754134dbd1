// The ocipfs command's parts: its arguments, its errors, and one function per command (private
// to the ocipfs executable).
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "ocipfs/http/url.hpp"
#include "ocipfs/publish/ipfs_api.hpp"

namespace ocipfs::cli {

// A mistake in how the command was called: exit 2.
struct UsageError {
  std::string message;
};
// The command could not do its work: exit 1.
struct Failure {
  std::string message;
};

struct Args {
  std::string command;
  std::vector<std::string> positional;
  std::optional<std::string> output;
  std::optional<std::string> tarball;
  std::optional<std::string> ipfs_dir_cid;
  std::optional<std::string> ipfs_api;
  std::optional<std::string> ipfs_api_auth;  // a secret: never in a message
  std::optional<std::string> registry;
  std::optional<std::string> timeout;
  std::optional<std::string> verify;
  std::optional<std::string> car;
  std::optional<std::string> upload;
  std::optional<std::string> allow_outside;  // compose: a directory its layers may also reach
  std::vector<std::string> gateways;
  bool json = false;  // --json: one JSON object on stdout instead of the text lines
};

// A flag as --help and the completion scripts show it.
struct FlagInfo {
  std::string_view name;   // "--car"
  std::string_view value;  // "FILE", "DIR", "URL", "car|files" (fixed words), "" for a switch
};
// The commands that take flags, in the order --help lists them.
std::vector<std::string_view> flag_commands();
// The flags `command` takes (parse_args's table), in the order --help lists them.
std::vector<FlagInfo> flags_of(std::string_view command);

// Parses the arguments of `argv[0]` (the command). Throws UsageError.
Args parse_args(const std::vector<std::string>& argv);

// The --registry host (a default when not given), checked. Throws UsageError.
std::string registry_of(const Args& args);
// --timeout, or `fallback`. Throws UsageError.
std::chrono::milliseconds timeout_of(const Args& args, std::chrono::milliseconds fallback);
// The IPFS node's RPC API for compose and import: --ipfs-api, else $IPFS_API unless a CAR is
// asked for (a CAR needs no node); nullopt when only a CAR is. Throws UsageError when neither is
// given, for --timeout or --ipfs-api-auth without a node, and for a URL that is not http(s).
std::optional<HttpUrl> node_api_of(const Args& args);
// The node's RPC API from the text of --ipfs-api or $IPFS_API: http:// or https://, without
// credentials (they go in --ipfs-api-auth). Throws UsageError, showing the URL redacted.
HttpUrl parse_node_api(const std::string& text);
// How to call the node: --timeout (60 s by default), and the credentials of --ipfs-api-auth,
// else $IPFS_API_AUTH, as its Authorization field. Throws UsageError.
IpfsApiOptions node_api_options(const Args& args);
// Where compose and import put what they make: a CAR, a node's RPC API, or both; and the
// registry their references name.
struct Destination {
  std::string registry;
  std::optional<std::filesystem::path> car;
  std::optional<HttpUrl> api;
  IpfsApiOptions api_options;
};
// From --registry, --car, --ipfs-api (or $IPFS_API), --ipfs-api-auth (or $IPFS_API_AUTH) and
// --timeout (60 s by default). Throws UsageError.
Destination destination_of(const Args& args);

// A block sink's failure, thrown through the packer or the importer (which turn a
// std::exception into their error).
struct SinkError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A non-empty environment variable.
std::optional<std::string> environment(const char* name);

// The commands: each returns the exit status, or throws UsageError or Failure.
int run_pack(const Args& args);
int run_publish(const Args& args);
int run_inspect(const Args& args);
int run_compose(const Args& args);
int run_import(const Args& args);
// ocipfs completion bash|zsh: prints the shell's completion script.
int run_completion(const Args& args);

}  // namespace ocipfs::cli
