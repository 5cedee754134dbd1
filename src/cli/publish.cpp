// ocipfs pack and ocipfs publish.
#include <cstdio>
#include <optional>
#include <system_error>

#include "cli.hpp"
#include "ocipfs/base/text.hpp"
#include "ocipfs/formats/cid.hpp"
#include "ocipfs/http/url.hpp"
#include "ocipfs/publish/atomic_file.hpp"
#include "ocipfs/publish/ipfs_api.hpp"
#include "ocipfs/publish/layer_dag.hpp"
#include "ocipfs/publish/pack.hpp"
#include "ocipfs/publish/path_relation.hpp"
#include "progress.hpp"
#include "report.hpp"

namespace ocipfs::cli {

namespace {

namespace fs = std::filesystem;

void print_layer(const Report& report, const PackedLayer& layer) {
  report.line("tarball", layer.tarball.string() + (layer.written ? " (written)" : ""),
              {{"tarball", layer.tarball.string()}, {"tarball_written", layer.written}});
  report.line("tag", layer.file_name, {{"tag", layer.file_name}});
  report.line("media type", layer.media_type, {{"media_type", layer.media_type}});
  report.line("digest", layer.digest, {{"digest", layer.digest}});
  report.line("size", std::to_string(layer.size), {{"size", layer.size}});
  report.line("diff_id", layer.diff_id, {{"diff_id", layer.diff_id}});
  report.line("entries", std::to_string(layer.entries), {{"entries", layer.entries}});
}

void print_reference(const Report& report, const std::string& registry, const LayerDag& dag) {
  std::string reference =
      registry + "/layer/" + dag.manifest_cid.to_string() + ":" + dag.layer.file_name;
  report.json({{"tarball_cid", dag.tarball_cid.to_string()},
               {"directory_cid", dag.directory_cid.to_string()}});
  report.line("ipfs path", dag.ipfs_path, {{"ipfs_path", dag.ipfs_path}});
  report.line("layer manifest", dag.manifest_cid.to_string(),
              {{"manifest_cid", dag.manifest_cid.to_string()}});
  report.line("reference", reference, {{"reference", reference}});
  report.paste("copy_from", "COPY --from=" + reference + " / /");
}

// Where the layer manifest goes: a file opened now (so that a directory in the way is refused
// before any work), or nothing for "-" (stdout).
std::optional<AtomicFile> open_manifest(const fs::path& output) {
  if (output == "-") return std::nullopt;
  auto file = AtomicFile::create(output);
  if (!file) throw Failure{file.error()};
  return std::move(*file);
}

void write_manifest(std::optional<AtomicFile>& file, const std::string& manifest) {
  if (!file) {
    write_out(stdout, manifest);
    return;
  }
  auto written = file->write(manifest);
  if (written) written = file->commit();
  if (!written) throw Failure{written.error()};
}

PackOptions pack_options(const Args& args) {
  PackOptions options;
  if (args.tarball) options.tarball = *args.tarball;
  if (args.output && *args.output != "-")
    options.tarball_dir = fs::path(*args.output).parent_path();
  return options;
}

// The outputs of packing: the tarball, the CAR and the layer manifest, which must differ.
struct Outputs {
  LayerDagOptions dag;
  fs::path tarball;
  fs::path manifest;
};

Outputs outputs_of(const Args& args) {
  Outputs out;
  out.dag.pack = pack_options(args);
  out.tarball = tarball_of(args.positional.front(), out.dag.pack);
  out.dag.car = args.car ? fs::path(*args.car) : car_path_for(out.tarball);
  out.manifest = args.output ? fs::path(*args.output) : manifest_path_for(out.tarball);
  if (is_same_path(out.dag.car, out.tarball) || is_same_path(out.dag.car, out.manifest) ||
      (args.output != "-" && is_same_path(out.manifest, out.tarball)))
    throw UsageError{"the tarball " + in_quotes(out.tarball.string(), 200) + ", the CAR " +
                     in_quotes(out.dag.car.string(), 200) + " and the layer manifest " +
                     in_quotes(out.manifest.string(), 200) + " must be three different files"};
  out.dag.ipfs_dir_cid = args.ipfs_dir_cid;
  return out;
}

// The size of a tarball given as PATH, for the progress line; none for a directory.
std::optional<std::uint64_t> tarball_size(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return std::nullopt;
  auto size = fs::file_size(path, ec);
  return ec ? std::nullopt : std::optional<std::uint64_t>(size);
}

LayerDag pack_dag(const Args& args, LayerDagOptions options) {
  const fs::path path = args.positional.front();
  ProgressLine progress("packing", tarball_size(path));
  options.pack.progress = progress.observer();
  auto dag = pack_layer_dag(path, options);
  if (!dag) throw Failure{dag.error()};
  return std::move(*dag);
}

void explain_partial_car(const LayerDag& dag) {
  std::fprintf(stderr,
               "ocipfs: the CAR holds only the layer manifest: --ipfs-dir-cid=%s is not %s, the "
               "directory that ipfs add --cid-version=1 --raw-leaves --wrap-with-directory makes "
               "of %s, so the tarball must stay stored under that other directory\n",
               printable(dag.ipfs_path.substr(0, dag.ipfs_path.find('/')), 120).c_str(),
               dag.directory_cid.to_string().c_str(), dag.layer.file_name.c_str());
}

enum class Upload { car, files };

Upload upload_of(const Args& args) {
  std::string mode = args.upload.value_or("car");
  if (mode == "car") return Upload::car;
  if (mode == "files") return Upload::files;
  throw UsageError{"--upload must be car or files, not " + in_quotes(mode, 64)};
}

void upload(Upload mode, const HttpUrl& api, const LayerDag& dag, const IpfsApiOptions& options) {
  if (mode == Upload::car) {
    auto imported = import_layer_car(api, dag, options);
    if (!imported) throw Failure{imported.error()};
    return;
  }
  auto published = publish_layer(api, dag.layer, options);
  if (!published) throw Failure{published.error()};
  if (auto same = check_node_cids(*published, dag); !same) throw Failure{same.error()};
}

}  // namespace

int run_pack(const Args& args) {
  if (args.ipfs_dir_cid) {
    auto cid = parse_cid(*args.ipfs_dir_cid);
    if (!cid) throw UsageError{"--ipfs-dir-cid: " + cid.error()};
  }
  std::string registry = registry_of(args);
  Outputs out = outputs_of(args);
  std::optional<AtomicFile> manifest_file = open_manifest(out.manifest);
  LayerDag dag = pack_dag(args, out.dag);
  write_manifest(manifest_file, dag.manifest);

  Report report(args, manifest_file ? stdout : stderr);
  print_layer(report, dag.layer);
  report.line("manifest file", manifest_file ? out.manifest.string() : "written to stdout",
              {{"manifest_file", out.manifest.string()}});
  print_car(report, dag.car, dag.car_blocks, dag.car_size, dag.car_roots);
  if (!dag.car_complete) explain_partial_car(dag);
  print_reference(report, registry, dag);
  report.finish();
  return 0;
}

int run_publish(const Args& args) {
  auto api_text = args.ipfs_api ? args.ipfs_api : environment("IPFS_API");
  if (!api_text) throw UsageError{"publish needs --ipfs-api=URL (or $IPFS_API)"};
  HttpUrl api = parse_node_api(*api_text);
  std::string registry = registry_of(args);
  Upload mode = upload_of(args);
  IpfsApiOptions options = node_api_options(args);

  Outputs out = outputs_of(args);
  std::optional<AtomicFile> manifest_file;
  if (args.output) manifest_file = open_manifest(out.manifest);
  LayerDag dag = pack_dag(args, out.dag);
  Report report(args, args.output == "-" ? stderr : stdout);
  print_layer(report, dag.layer);
  print_car(report, dag.car, dag.car_blocks, dag.car_size, dag.car_roots);
  upload(mode, api, dag, options);
  report.json({{"ipfs_node", api.origin()}, {"upload", args.upload.value_or("car")}});
  if (args.output) {
    write_manifest(manifest_file, dag.manifest);
    report.json({{"manifest_file", out.manifest.string()}});
  }
  print_reference(report, registry, dag);
  report.finish();
  return 0;
}

}  // namespace ocipfs::cli
