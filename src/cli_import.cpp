// ocipfs import: an existing image (OCI layout, oci-archive, docker save) put on IPFS verbatim.
#include <stdlib.h>  // mkdtemp

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <system_error>

#include "cli.hpp"
#include "cli_report.hpp"
#include "ocipfs/car_file.hpp"
#include "ocipfs/cid.hpp"
#include "ocipfs/http_url.hpp"
#include "ocipfs/image_import.hpp"
#include "ocipfs/ipfs_api.hpp"
#include "ocipfs/text.hpp"
#include "ocipfs/unixfs.hpp"

namespace ocipfs::cli {

namespace {

namespace fs = std::filesystem;

std::string quoted(const fs::path& path) { return in_quotes(path.string(), 200); }

// A directory of our own (mkdtemp) for the CAR sent to the node, removed with everything in it.
class ScratchDirectory {
 public:
  ScratchDirectory() {
    std::error_code ec;
    fs::path parent = fs::temp_directory_path(ec);
    if (ec) throw Failure{"no directory for temporary files ($TMPDIR): " + ec.message()};
    std::string pattern = (parent / "ocipfs-import-XXXXXX").string();
    if (!::mkdtemp(pattern.data()))
      throw Failure{"cannot create a temporary directory in " + quoted(parent) + ": " +
                    std::strerror(errno)};
    path_ = pattern;
  }
  ~ScratchDirectory() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  ScratchDirectory(const ScratchDirectory&) = delete;
  ScratchDirectory& operator=(const ScratchDirectory&) = delete;

  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// What import was asked to do, checked before any work.
struct Plan {
  SourceSpec source;
  std::string registry;
  std::optional<fs::path> car;
  std::optional<HttpUrl> api;
  IpfsApiOptions api_options;
};

// The node's API: --ipfs-api, else $IPFS_API unless a CAR is asked for (a CAR needs no node).
std::optional<HttpUrl> api_of(const Args& args) {
  auto text = args.ipfs_api ? args.ipfs_api : std::optional<std::string>();
  if (!text && !args.car) text = environment("IPFS_API");
  if (!text) {
    if (!args.car) throw UsageError{"import needs --car=FILE or --ipfs-api=URL (or $IPFS_API)"};
    if (args.timeout) throw UsageError{"--timeout is for --ipfs-api; a CAR needs no node"};
    return std::nullopt;
  }
  auto api = parse_http_url(*text);
  if (!api) throw UsageError{"--ipfs-api: " + api.error()};
  if (api->https) throw UsageError{"--ipfs-api must be an http:// URL (https is not supported)"};
  return std::move(*api);
}

bool exists(const fs::path& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

bool same_or_inside(const fs::path& path, const fs::path& source) {
  std::error_code ec;
  fs::path inner = fs::weakly_canonical(fs::absolute(path), ec);
  fs::path outer = fs::weakly_canonical(fs::absolute(source), ec);
  if (ec) return false;
  auto [end, rest] = std::mismatch(outer.begin(), outer.end(), inner.begin(), inner.end());
  return end == outer.end();
}

Plan plan_of(const Args& args) {
  Plan plan;
  plan.api = api_of(args);
  plan.registry = registry_of(args);
  plan.api_options.timeout = timeout_of(args, std::chrono::seconds(60));
  plan.api_options.user_agent = "ocipfs/" OCIPFS_VERSION;
  if (args.car) plan.car = fs::path(*args.car);
  plan.source = split_source(args.positional.front(), exists);
  if (plan.car && same_or_inside(*plan.car, plan.source.path))
    throw UsageError{"the CAR " + quoted(*plan.car) + " would overwrite the source or be " +
                     "written inside it: write it elsewhere"};
  return plan;
}

// A sink's failure, thrown through the importer (which turns a std::exception into its error).
struct SinkError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Opens the CAR once the importer has counted its roots.
SinkOpener car_opener(const fs::path& destination, std::optional<CarFile>& car) {
  return [&car, destination](std::size_t root_count) -> BlockSink {
    auto created = CarFile::create(destination, root_count);
    if (!created) throw SinkError(created.error());
    car.emplace(std::move(*created));
    return [&car](const Cid& cid, std::string_view block) {
      if (auto added = car->add(cid, block); !added) throw SinkError(added.error());
    };
  };
}

std::string manifest_line(const ResolvedManifest& manifest) {
  std::string platform = manifest.platform.os.empty() && manifest.platform.architecture.empty()
                             ? "no platform"
                             : platform_text(manifest.platform);
  return manifest.manifest.digest + " (" + platform + ", " +
         std::to_string(manifest.layers.size()) +
         (manifest.layers.size() == 1 ? " layer)" : " layers)");
}

void print_image(const Report& report, const Plan& plan, const ImportedImage& imported) {
  report.line("source", plan.source.path.string() + " (" +
                            std::string(source_kind_name(imported.kind)) + ")");
  for (const auto& index : imported.image.indexes) report.line("index", index.digest);
  for (const auto& manifest : imported.image.manifests) {
    report.line("manifest", manifest_line(manifest));
    report.line("config", manifest.config.digest);
  }
  report.line("layers", std::to_string(imported.image.layer_references) + " (" +
                            std::to_string(imported.layer_bytes) + " bytes, " +
                            std::to_string(imported.image.layers.size()) + " distinct)");
  report.line("image document", imported.document_cid.to_string() + " (" +
                                    std::to_string(imported.document_json.size()) + " bytes)");
}

void print_car(const Report& report, const CarFile& car, const ImportedImage& imported) {
  std::string roots;
  for (const auto& root : imported.roots) roots += (roots.empty() ? "" : " ") + root.to_string();
  report.line("car", car.destination().string() + " (" + std::to_string(car.block_count()) +
                         " blocks, " + std::to_string(car.size()) + " bytes)");
  report.line("car roots", roots);
}

void print_reference(const Report& report, const Plan& plan, const ImportedImage& imported) {
  std::string image = plan.registry + "/image/" + imported.document_cid.to_string();
  const std::string& tag = imported.document.tag;
  report.line("reference", image + (tag.empty() ? "" : ":" + tag));
  report.text("FROM " + image);
  report.text("docker run " + image);
}

// Sends the CAR to the node's dag/import and checks that it pinned every root.
void send_to_node(const Plan& plan, const fs::path& car, const ImportedImage& imported) {
  auto pinned = ipfs_dag_import(*plan.api, car, plan.api_options);
  if (!pinned) throw Failure{"importing the CAR into the IPFS node: " + pinned.error()};
  for (const auto& root : *pinned)
    if (!root.pin_error.empty())
      throw Failure{"the IPFS API at " + plan.api->origin() + " imported the CAR but did not pin " +
                    printable(root.cid, 120) + ": " + printable(root.pin_error, 300)};
  for (const auto& want : imported.roots) {
    bool found = std::any_of(pinned->begin(), pinned->end(), [&](const ImportedRoot& root) {
      auto cid = parse_cid(root.cid);
      return cid && cid->v1_bytes() == want.v1_bytes();
    });
    if (!found)
      throw Failure{"the IPFS API at " + plan.api->origin() + " did not list the root " +
                    want.to_string() + " in its answer to the dag/import"};
  }
}

}  // namespace

int run_import(const Args& args) {
  Plan plan = plan_of(args);
  std::optional<ScratchDirectory> scratch;
  if (!plan.car) scratch.emplace();
  fs::path car_path = plan.car ? *plan.car : scratch->path() / "image.car";
  std::optional<CarFile> car;
  auto imported = import_image(plan.source.path, plan.source.ref, car_opener(car_path, car));
  if (!imported) throw Failure{imported.error()};
  if (auto committed = car->commit(imported->roots); !committed) throw Failure{committed.error()};

  Report report;
  print_image(report, plan, *imported);
  if (plan.car) print_car(report, *car, *imported);
  std::fflush(report.out);
  if (plan.api) {
    send_to_node(plan, car_path, *imported);
    report.line("ipfs node", plan.api->origin() + ": the image's blocks imported and pinned");
  }
  print_reference(report, plan, *imported);
  return 0;
}

}  // namespace ocipfs::cli
