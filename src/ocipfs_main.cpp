// ocipfs: pack a layer, publish it to an IPFS node, inspect what ocipfsd would serve for it.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "ocipfs/cid.hpp"
#include "ocipfs/config.hpp"
#include "ocipfs/digest.hpp"
#include "ocipfs/gateway_client.hpp"
#include "ocipfs/gateway_health.hpp"
#include "ocipfs/http_url.hpp"
#include "ocipfs/image.hpp"
#include "ocipfs/ipfs_api.hpp"
#include "ocipfs/layer_manifest.hpp"
#include "ocipfs/log.hpp"
#include "ocipfs/pack.hpp"
#include "ocipfs/redirect.hpp"
#include "ocipfs/resolver.hpp"
#include "ocipfs/route.hpp"
#include "ocipfs/text.hpp"

namespace {

namespace fs = std::filesystem;
using namespace ocipfs;

const char* const usage_text = R"(Usage:
  ocipfs pack PATH [--tarball=FILE] [--ipfs-dir-cid=CID [-o FILE]]
  ocipfs publish PATH --ipfs-api=URL [--registry=HOST] [--tarball=FILE] [-o FILE] [--timeout=DUR]
  ocipfs inspect REF|CID [--gateway=URL]... [--registry=HOST] [--verify=strict|off] [--timeout=DUR]

pack      Makes PATH a layer and prints its media type, digest, size and diff_id. PATH is a
          directory, or a .tar, .tar.gz or .tar.zst file used as it is. A directory becomes a
          reproducible tarball (sorted, mtime 0, owner 0:0, normalized modes, no gzip timestamp):
          the same files give the same bytes. The tarball's file name is the image's tag.
publish   Packs PATH, adds the tarball (wrapped in a directory) and its layer manifest to an IPFS
          node through its RPC API, and prints the image reference and the COPY --from= line.
inspect   Fetches, verifies and validates a layer manifest as ocipfsd does, and prints the image
          ocipfsd would serve: digests, tags and platforms. Exits 0 only if ocipfsd would serve it.
          REF is HOST/layer/<CID>[:TAG|@DIGEST]; a bare CID may be in any form (Qm..., bafy...).

Options:
  --tarball=FILE       where to write a directory's tarball; .tar, .tar.gz or .tar.zst picks the
                       compression. Default: <directory name>.tar.gz, next to -o FILE if given,
                       else in the current directory
  --ipfs-dir-cid=CID   pack: the CID of the IPFS directory that holds the tarball under its file
                       name. Only with it can pack write the layer manifest (publish learns it
                       from the node)
  -o FILE              write the layer manifest to FILE ("-" for stdout).
                       Default for pack --ipfs-dir-cid: layer.json
  --ipfs-api=URL       the node's RPC API (Kubo-compatible), e.g. http://127.0.0.1:5001.
                       Default: $IPFS_API
  --registry=HOST      the ocipfsd host in printed references. Default: 127.0.0.1:5000
  --gateway=URL        inspect: the IPFS gateway to fetch the layer manifest from; repeat it to
                       fall back on others. Default: $IPFS_GATEWAY, else https://ipfs.io
  --verify=strict|off  inspect: prove the layer manifest against its CID. Default: strict
  --timeout=DUR        deadline of each network step, e.g. 30s, 500ms, 2m. Default: 60s for
                       publish (each connect, write and read), 30s for inspect (each fetch)
  --help, --version

Exit status: 0 on success, 1 on failure, 2 for a usage error.
)";

constexpr std::string_view default_registry = "127.0.0.1:5000";

struct UsageError {
  std::string message;
};
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
  std::optional<std::string> registry;
  std::optional<std::string> timeout;
  std::optional<std::string> verify;
  std::vector<std::string> gateways;
};

std::optional<std::string> environment(const char* name) {
  const char* value = std::getenv(name);
  if (!value || !*value) return std::nullopt;
  return std::string(value);
}

Args parse_args(const std::vector<std::string>& argv) {
  Args args;
  args.command = argv.front();
  for (std::size_t i = 1; i < argv.size(); ++i) {
    const std::string& arg = argv[i];
    if (arg == "-o") {
      if (i + 1 == argv.size()) throw UsageError{"-o needs a FILE"};
      args.output = argv[++i];
      continue;
    }
    if (!arg.starts_with("-") || arg == "-") {
      args.positional.push_back(arg);
      continue;
    }
    auto eq = arg.find('=');
    if (!arg.starts_with("--") || eq == std::string::npos)
      throw UsageError{"unknown argument " + in_quotes(arg, 64) +
                       " (flags are --name=value, or -o FILE)"};
    std::string name = arg.substr(0, eq);
    std::string value = arg.substr(eq + 1);
    auto allowed = [&](std::initializer_list<std::string_view> commands) {
      for (auto command : commands)
        if (command == args.command) return;
      throw UsageError{name + " is not an option of " + args.command};
    };
    auto once = [&](std::optional<std::string>& slot) {
      if (slot) throw UsageError{name + " is given twice"};
      if (value.empty()) throw UsageError{name + " needs a value"};
      slot = value;
    };
    if (name == "--output" || name == "-o") {
      allowed({"pack", "publish"});
      once(args.output);
    } else if (name == "--tarball") {
      allowed({"pack", "publish"});
      once(args.tarball);
    } else if (name == "--ipfs-dir-cid") {
      allowed({"pack"});
      once(args.ipfs_dir_cid);
    } else if (name == "--ipfs-api") {
      allowed({"publish"});
      once(args.ipfs_api);
    } else if (name == "--registry") {
      allowed({"publish", "inspect"});
      once(args.registry);
    } else if (name == "--timeout") {
      allowed({"publish", "inspect"});
      once(args.timeout);
    } else if (name == "--verify") {
      allowed({"inspect"});
      once(args.verify);
    } else if (name == "--gateway") {
      allowed({"inspect"});
      if (value.empty()) throw UsageError{"--gateway needs a URL"};
      args.gateways.push_back(value);
    } else {
      throw UsageError{"unknown option " + in_quotes(name, 64) + " of " + args.command};
    }
  }
  if (args.positional.size() != 1)
    throw UsageError{args.command + " takes one " +
                     (args.command == "inspect" ? "REF or CID" : "PATH") + ", not " +
                     std::to_string(args.positional.size())};
  return args;
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

// Prints "label   value" lines, aligned.
struct Report {
  std::FILE* out = stdout;
  void line(std::string_view label, std::string_view value) const {
    std::fprintf(out, "%-15.*s %.*s\n", static_cast<int>(label.size()), label.data(),
                 static_cast<int>(value.size()), value.data());
  }
  void text(std::string_view value) const {
    std::fprintf(out, "%.*s\n", static_cast<int>(value.size()), value.data());
  }
};

void print_layer(const Report& report, const PackedLayer& layer) {
  report.line("tarball", layer.tarball.string() + (layer.written ? " (written)" : ""));
  report.line("tag", layer.file_name);
  report.line("media type", layer.media_type);
  report.line("digest", layer.digest);
  report.line("size", std::to_string(layer.size));
  report.line("diff_id", layer.diff_id);
  report.line("entries", std::to_string(layer.entries));
}

void write_manifest(const std::string& output, const std::string& manifest) {
  if (output == "-") {
    std::fwrite(manifest.data(), 1, manifest.size(), stdout);
    return;
  }
  std::ofstream file(output, std::ios::binary | std::ios::trunc);
  if (file) file << manifest;
  if (file) file.close();
  if (!file) throw Failure{"cannot write " + in_quotes(output, 200)};
}

PackOptions pack_options(const Args& args) {
  PackOptions options;
  if (args.tarball) options.tarball = *args.tarball;
  if (args.output && *args.output != "-")
    options.tarball_dir = fs::path(*args.output).parent_path();
  return options;
}

PackedLayer pack(const Args& args) {
  auto layer = pack_path(args.positional.front(), pack_options(args));
  if (!layer) throw Failure{layer.error()};
  return std::move(*layer);
}

int run_pack(const Args& args) {
  if (args.output && !args.ipfs_dir_cid)
    throw UsageError{
        "-o needs --ipfs-dir-cid=CID: the layer manifest names the IPFS directory that holds the "
        "tarball, which pack cannot know (ocipfs publish learns it from the node)"};
  if (args.ipfs_dir_cid) {
    auto cid = parse_cid(*args.ipfs_dir_cid);
    if (!cid) throw UsageError{"--ipfs-dir-cid: " + cid.error()};
  }
  PackedLayer layer = pack(args);
  std::string output = args.output.value_or("layer.json");
  Report report{args.ipfs_dir_cid && output == "-" ? stderr : stdout};
  print_layer(report, layer);
  if (!args.ipfs_dir_cid) {
    report.line("layer manifest",
                "not written: it needs the CID of an IPFS directory holding " + layer.file_name);
    report.line("next", "ipfs add --cid-version=1 --wrap-with-directory " + layer.tarball.string() +
                            "   (the last CID is the directory)");
    report.line("", "ocipfs pack " + layer.tarball.string() +
                        " --ipfs-dir-cid=<directory CID> -o layer.json");
    report.line("",
                "or both at once: ocipfs publish " + args.positional.front() + " --ipfs-api=URL");
    return 0;
  }
  std::string ipfs_path = *args.ipfs_dir_cid + "/" + layer.file_name;
  std::string manifest = layer_manifest_json(layer, ipfs_path);
  if (auto valid = parse_layer_manifest(manifest); !valid)
    throw Failure{"the layer manifest would be invalid: " + valid.error()};
  write_manifest(output, manifest);
  report.line("ipfs path", ipfs_path);
  report.line("layer manifest", output == "-" ? "written to stdout" : output);
  report.line("next", "ipfs add --cid-version=1 " + (output == "-" ? "layer.json" : output) +
                          "   (its CID names the image)");
  return 0;
}

int run_publish(const Args& args) {
  auto api_text = args.ipfs_api ? args.ipfs_api : environment("IPFS_API");
  if (!api_text) throw UsageError{"publish needs --ipfs-api=URL (or $IPFS_API)"};
  auto api = parse_http_url(*api_text);
  if (!api) throw UsageError{"--ipfs-api: " + api.error()};
  if (api->https) throw UsageError{"--ipfs-api must be an http:// URL (https is not supported)"};
  std::string registry = registry_of(args);
  IpfsApiOptions options;
  options.timeout = timeout_of(args, std::chrono::seconds(60));
  options.user_agent = "ocipfs/" OCIPFS_VERSION;

  PackedLayer layer = pack(args);
  Report report{args.output == "-" ? stderr : stdout};
  print_layer(report, layer);
  std::fflush(report.out);
  auto published = publish_layer(*api, layer, options);
  if (!published) throw Failure{published.error()};
  if (args.output) write_manifest(*args.output, published->manifest);
  std::string reference =
      registry + "/layer/" + published->manifest_cid.to_string() + ":" + layer.file_name;
  report.line("ipfs path", published->ipfs_path);
  report.line("layer manifest", published->manifest_cid.to_string());
  report.line("reference", reference);
  report.text("COPY --from=" + reference + " / /");
  return 0;
}

// ---------------------------------------------------------------- inspect

struct Reference {
  std::string registry;   // as written, or --registry for a bare CID
  Cid cid;                // the layer manifest's CID
  std::string reference;  // a tag or a digest; empty when none was given
};

Reference parse_reference(const Args& args) {
  const std::string& text = args.positional.front();
  Reference out;
  // HOST/NAME[:TAG|@DIGEST], NAME[:TAG|@DIGEST] when NAME starts with layer/, or a bare CID.
  auto slash = text.find('/');
  if (slash == std::string::npos) {
    auto cid = parse_cid(text);
    if (!cid)
      throw UsageError{in_quotes(text, 100) +
                       " is neither HOST/layer/<CID>[:TAG] nor a CID: " + cid.error()};
    out.registry = registry_of(args);
    out.cid = std::move(*cid);
    return out;
  }
  if (args.registry) throw UsageError{"--registry is for a bare CID; the reference names a host"};
  bool has_host = !text.starts_with("layer/");
  out.registry = has_host ? text.substr(0, slash) : std::string();
  std::string rest = has_host ? text.substr(slash + 1) : text;
  std::string name = rest;
  if (auto at = rest.find('@'); at != std::string::npos) {
    name = rest.substr(0, at);
    out.reference = rest.substr(at + 1);
  } else if (auto colon = rest.rfind(':'); colon != std::string::npos) {
    name = rest.substr(0, colon);
    out.reference = rest.substr(colon + 1);
  }
  // The same routing code as ocipfsd, on the request a client would send.
  auto route = parse_route("/v2/" + name + "/manifests/" +
                           (out.reference.empty() ? std::string("latest") : out.reference));
  if (!route)
    throw Failure{"ocipfsd would answer " + std::to_string(route.error().status) + " " +
                  std::string(code_name(route.error().code)) + ": " + route.error().message};
  out.cid = route->cid;
  return out;
}

std::string platform_text(const Platform& platform) {
  std::string out = platform.os + "/" + platform.architecture;
  if (!platform.variant.empty()) out += "/" + platform.variant;
  return out;
}

boost::asio::awaitable<void> fetch_into(std::optional<Content>& out, GatewayResolver& resolver,
                                        const Cid& cid) {
  out = co_await resolver.fetch(cid);
}

int run_inspect(const Args& args) {
  Reference ref = parse_reference(args);
  std::vector<HttpUrl> gateways;
  std::vector<std::string> gateway_texts = args.gateways;
  if (gateway_texts.empty())
    gateway_texts.push_back(environment("IPFS_GATEWAY").value_or(std::string(default_gateway)));
  for (const auto& text : gateway_texts) {
    auto url = parse_http_url(text);
    if (!url) throw UsageError{"--gateway: " + url.error()};
    gateways.push_back(std::move(*url));
  }
  bool verify = true;
  if (args.verify) {
    if (*args.verify != "strict" && *args.verify != "off")
      throw UsageError{"--verify must be strict or off"};
    verify = *args.verify == "strict";
  }
  GatewayClientOptions client_options;
  client_options.timeout = timeout_of(args, std::chrono::seconds(30));
  client_options.user_agent = "ocipfs/" OCIPFS_VERSION;

  // The resolver's parts as ocipfsd runs them, on one io_context.
  std::optional<Content> content;
  {
    boost::asio::io_context context;
    GatewayClient client(context.get_executor(), client_options);
    GatewayHealth health(gateways.size());
    GatewayResolver resolver(client, gateways, health, verify);
    boost::asio::co_spawn(context, fetch_into(content, resolver, ref.cid),
                          [](std::exception_ptr error) {
                            if (error) std::rethrow_exception(error);
                          });
    context.run();
  }
  if (!content) throw Failure{"the gateway fetch did not finish"};
  Resolution resolution = build_image(ref.cid, *content);
  if (!resolution)
    throw Failure{"ocipfsd would answer " + std::to_string(resolution.error().status) + " " +
                  std::string(code_name(resolution.error().code)) + ": " +
                  resolution.error().message};
  const Image& image = **resolution;

  std::string tag = ref.reference;
  if (tag.empty()) {
    std::string_view file = image.layer.path.file_name();
    tag = image.has_tag(file) ? std::string(file) : "latest";
  }
  std::string separator = tag.starts_with("sha256:") ? "@" : ":";
  std::string reference =
      ref.registry + (ref.registry.empty() ? "" : "/") + "layer/" + image.cid + separator + tag;
  Report report;
  report.line("reference", reference);
  report.line("layer manifest",
              image.cid + " (" + std::to_string(content->value().size()) + " bytes, " +
                  (verify ? "verified against the CID" : "NOT verified: --verify=off") + ")");
  report.line("ipfs path", image.layer.ipfs_path);
  report.line("layer", image.layer.media_type);
  report.line("layer digest",
              image.layer.digest + " (" + std::to_string(image.layer.size) + " bytes)");
  report.line("diff_id", image.layer.diff_id);
  report.line("layer URL",
              layer_location(RedirectGateway{gateways.front(), false, {}}, image.layer.path) +
                  " (the 302 for the layer blob)");
  report.line("index", image.index.digest);
  const PlatformImage* amd64 = &image.default_platform();
  for (const auto& platform : image.platforms)
    if (platform.platform.os == "linux" && platform.platform.architecture == "amd64")
      amd64 = &platform;
  std::string which = " (" + platform_text(amd64->platform) + ")";
  report.line("manifest", amd64->manifest.digest + which);
  report.line("config", amd64->config.digest + which);
  std::string tags;
  for (const auto& each : image.tags) tags += (tags.empty() ? "" : ", ") + each;
  report.line("tags", tags);
  std::string platforms;
  for (const auto& each : image.platforms)
    platforms += (platforms.empty() ? "" : ", ") + platform_text(each.platform);
  report.line("platforms", platforms);

  // The reference must name something ocipfsd serves: a tag of the image, or one of its manifests.
  if (!ref.reference.empty()) {
    bool served = ref.reference.starts_with("sha256:")
                      ? image.manifest_by_digest(ref.reference) != nullptr
                      : image.has_tag(ref.reference);
    if (!served)
      throw Failure{"ocipfsd would answer 404 MANIFEST_UNKNOWN for " + in_quotes(ref.reference) +
                    ": the image has the tags " + tags + " and the manifests of the index"};
  }
  if (!ref.registry.empty()) report.text("COPY --from=" + reference + " / /");
  return 0;
}

int run(const std::vector<std::string>& argv) {
  if (argv.empty()) throw UsageError{"a command is needed: pack, publish or inspect"};
  const std::string& command = argv.front();
  if (command == "--help" || command == "-h" || command == "help") {
    std::fputs(usage_text, stdout);
    return 0;
  }
  if (command == "--version") {
    std::puts("ocipfs " OCIPFS_VERSION);
    return 0;
  }
  if (command != "pack" && command != "publish" && command != "inspect")
    throw UsageError{"unknown command " + in_quotes(command, 64) +
                     " (commands: pack, publish, inspect)"};
  for (const auto& arg : argv)
    if (arg == "--help" || arg == "-h") {
      std::fputs(usage_text, stdout);
      return 0;
    }
  Args args = parse_args(argv);
  if (command == "pack") return run_pack(args);
  if (command == "publish") return run_publish(args);
  return run_inspect(args);
}

}  // namespace

int main(int argc, char** argv) {
  // The resolver logs gateway failures; its final error already says what failed.
  ocipfs::setup_logging(ocipfs::LogFormat::text, "off");
  try {
    return run(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const UsageError& error) {
    std::fprintf(stderr, "ocipfs: %s (see ocipfs --help)\n", error.message.c_str());
    return 2;
  } catch (const Failure& error) {
    std::fprintf(stderr, "ocipfs: %s\n", error.message.c_str());
    return 1;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "ocipfs: %s\n", error.what());
    return 1;
  }
}
