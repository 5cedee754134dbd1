// ocipfs import: an existing image (OCI layout, oci-archive, docker save) put on IPFS verbatim.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <system_error>

#include "cli.hpp"
#include "ocipfs/base/text.hpp"
#include "ocipfs/formats/cid.hpp"
#include "ocipfs/formats/unixfs.hpp"
#include "ocipfs/http/url.hpp"
#include "ocipfs/publish/car_file.hpp"
#include "ocipfs/publish/image_import.hpp"
#include "ocipfs/publish/ipfs_api.hpp"
#include "ocipfs/publish/path_relation.hpp"
#include "progress.hpp"
#include "report.hpp"
#include "scratch.hpp"

namespace ocipfs::cli {

namespace {

namespace fs = std::filesystem;

// What import was asked to do, checked before any work.
struct Plan : Destination {
  SourceSpec source;
};

bool exists(const fs::path& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

Plan plan_of(const Args& args) {
  Plan plan;
  static_cast<Destination&>(plan) = destination_of(args);
  plan.source = split_source(args.positional.front(), exists);
  if (plan.car && resolves_within(*plan.car, plan.source.path))
    throw UsageError{"the CAR " + path_in_quotes(*plan.car) + " would overwrite the source or be " +
                     "written inside it: write it elsewhere"};
  return plan;
}

// Opens the CAR once the importer has counted its roots.
// Each block's bytes are told to `progress` (when set).
SinkOpener car_opener(const fs::path& destination, std::optional<CarFile>& car,
                      ProgressObserver progress) {
  return [&car, destination, progress](std::size_t root_count) -> BlockSink {
    auto created = CarFile::create(destination, root_count);
    if (!created) throw SinkError(created.error());
    car.emplace(std::move(*created));
    return [&car, progress](const Cid& cid, std::string_view block) {
      if (auto added = car->add(cid, block); !added) throw SinkError(added.error());
      if (progress) progress(block.size());
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

nlohmann::json manifest_facts(const ResolvedManifest& manifest) {
  nlohmann::json platform = nullptr;
  if (!manifest.platform.os.empty() || !manifest.platform.architecture.empty())
    platform = platform_text(manifest.platform);
  return {{"digest", manifest.manifest.digest},
          {"platform", platform},
          {"layers", manifest.layers.size()},
          {"config", manifest.config.digest}};
}

void print_image(const Report& report, const Plan& plan, const ImportedImage& imported) {
  std::string kind(source_kind_name(imported.kind));
  report.line("source", plan.source.path.string() + " (" + kind + ")",
              {{"source", plan.source.path.string()}, {"source_kind", kind}});
  for (const auto& index : imported.image.indexes)
    report.item("index", index.digest, "indexes", index.digest);
  for (const auto& manifest : imported.image.manifests) {
    report.item("manifest", manifest_line(manifest), "manifests", manifest_facts(manifest));
    report.line("config", manifest.config.digest);
  }
  report.line("layers",
              std::to_string(imported.image.layer_references) + " (" +
                  std::to_string(imported.layer_bytes) + " bytes, " +
                  std::to_string(imported.image.layers.size()) + " distinct)",
              {{"layers", imported.image.layer_references},
               {"layer_bytes", imported.layer_bytes},
               {"distinct_layers", imported.image.layers.size()}});
  report.line("image document",
              imported.document_cid.to_string() + " (" +
                  std::to_string(imported.document_json.size()) + " bytes)",
              {{"image_document_cid", imported.document_cid.to_string()},
               {"image_document_size", imported.document_json.size()}});
}

void print_reference(const Report& report, const Plan& plan, const ImportedImage& imported) {
  std::string image = plan.registry + "/image/" + imported.document_cid.to_string();
  const std::string& tag = imported.document.tag;
  std::string reference = image + (tag.empty() ? "" : ":" + tag);
  report.line("reference", reference, {{"reference", reference}, {"tag", tag}});
  report.paste("from", "FROM " + image);
  report.paste("docker_run", "docker run " + image);
}

// Sends the CAR to the node's dag/import and checks that it pinned every root.
void send_to_node(const Plan& plan, const fs::path& car, const ImportedImage& imported) {
  auto pinned = import_car(*plan.api, car, imported.roots, plan.api_options);
  if (!pinned) throw Failure{"importing the CAR into the IPFS node: " + pinned.error()};
}

}  // namespace

int run_import(const Args& args) {
  Plan plan = plan_of(args);
  std::optional<ScratchDirectory> scratch;
  if (!plan.car) scratch.emplace(fs::path(), "ocipfs-import-");
  fs::path car_path = plan.car ? *plan.car : scratch->path() / "image.car";
  std::optional<CarFile> car;
  std::optional<ProgressLine> progress(std::in_place, "importing");
  auto imported = import_image(plan.source.path, plan.source.ref,
                               car_opener(car_path, car, progress->observer()));
  progress.reset();
  if (!imported) throw Failure{imported.error()};
  if (auto committed = car->commit(imported->roots); !committed) throw Failure{committed.error()};

  Report report(args);
  print_image(report, plan, *imported);
  if (plan.car)
    print_car(report, car->destination(), car->block_count(), car->size(), imported->roots);
  if (plan.api) {
    send_to_node(plan, car_path, *imported);
    report.line("ipfs node", plan.api->origin() + ": the image's blocks imported and pinned",
                {{"ipfs_node", plan.api->origin()}});
  }
  print_reference(report, plan, *imported);
  report.finish();
  return 0;
}

}  // namespace ocipfs::cli
