// ocipfs pack and ocipfs publish.
#include <cstdio>
#include <fstream>

#include "cli.hpp"
#include "cli_report.hpp"
#include "ocipfs/cid.hpp"
#include "ocipfs/http_url.hpp"
#include "ocipfs/ipfs_api.hpp"
#include "ocipfs/layer_manifest.hpp"
#include "ocipfs/pack.hpp"
#include "ocipfs/text.hpp"

namespace ocipfs::cli {

namespace {

namespace fs = std::filesystem;

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

void print_next_steps(const Report& report, const Args& args, const PackedLayer& layer) {
  report.line("layer manifest",
              "not written: it needs the CID of an IPFS directory holding " + layer.file_name);
  report.line("next", "ipfs add --cid-version=1 --wrap-with-directory " + layer.tarball.string() +
                          "   (the last CID is the directory)");
  report.line("", "ocipfs pack " + layer.tarball.string() +
                      " --ipfs-dir-cid=<directory CID> -o layer.json");
  report.line("", "or both at once: ocipfs publish " + args.positional.front() + " --ipfs-api=URL");
}

}  // namespace

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
    print_next_steps(report, args, layer);
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

}  // namespace ocipfs::cli
