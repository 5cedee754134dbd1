// ocipfs compose: an image of layers, each packed as pack does, stored as one image document.
#include "ocipfs/publish/compose.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>
#include <system_error>

#include "cli.hpp"
#include "ocipfs/base/text.hpp"
#include "ocipfs/formats/cid.hpp"
#include "ocipfs/formats/unixfs.hpp"
#include "ocipfs/http/url.hpp"
#include "ocipfs/image/image.hpp"
#include "ocipfs/image/image_document.hpp"
#include "ocipfs/publish/atomic_file.hpp"
#include "ocipfs/publish/car_file.hpp"
#include "ocipfs/publish/ipfs_api.hpp"
#include "ocipfs/publish/layer_dag.hpp"
#include "ocipfs/publish/layer_platforms.hpp"
#include "ocipfs/publish/pack.hpp"
#include "ocipfs/publish/path_relation.hpp"
#include "ocipfs/publish/regular_file.hpp"
#include "progress.hpp"
#include "report.hpp"
#include "scratch.hpp"

namespace ocipfs::cli {

namespace {

namespace fs = std::filesystem;

// A subdirectory of `scratch` for layer `number`, so that two directories of the same name
// each keep their tarball.
fs::path layer_directory(const ScratchDirectory& scratch, std::size_t number) {
  fs::path dir = scratch.path() / std::to_string(number);
  std::error_code ec;
  fs::create_directory(dir, ec);
  if (ec) throw Failure{"cannot create " + path_in_quotes(dir) + ": " + ec.message()};
  return dir;
}

// What compose was asked to do, checked before any work.
struct Plan : Destination {
  fs::path file;
  ComposeFile compose;
  std::vector<ComposeLayer> layers;
  std::optional<fs::path> output;  // "-": stdout
};

std::string layer_prefix(const Plan& plan, std::size_t index) {
  return "layer " + std::to_string(index + 1) + " of compose file " + path_in_quotes(plan.file) +
         ": ";
}

// The compose file's bytes, at most max_image_document_size of them.
std::string read_compose_file(const fs::path& file) {
  std::string prefix = "compose file " + path_in_quotes(file) + ": ";
  auto opened = open_regular_file(file);
  if (!opened) throw Failure{prefix + "cannot read it: " + opened.error()};
  InputFile in = std::move(*opened);
  std::string text(max_image_document_size + 1, '\0');
  std::size_t size = 0;
  while (size < text.size()) {
    std::size_t n = std::fread(text.data() + size, 1, text.size() - size, in.get());
    if (n == 0) break;
    size += n;
  }
  if (std::ferror(in.get())) throw Failure{prefix + "cannot read it: " + std::strerror(errno)};
  if (size > max_image_document_size)
    throw Failure{prefix + "it is larger than " + std::to_string(max_image_document_size) +
                  " bytes, the limit of an image document"};
  text.resize(size);
  return text;
}

PathKind probe(const fs::path& path) {
  std::error_code ec;
  auto status = fs::status(path, ec);
  if (ec) return PathKind::other;
  if (fs::is_directory(status)) return PathKind::directory;
  if (fs::is_regular_file(status)) return PathKind::regular_file;
  return PathKind::other;
}

// An output (the CAR, -o FILE) may replace no input, and may not be packed into a layer.
void check_output(const Plan& plan, const fs::path& output, const std::string& what) {
  if (is_same_path(output, plan.file))
    throw UsageError{what + " " + path_in_quotes(output) + " would overwrite the compose file"};
  for (std::size_t i = 0; i < plan.layers.size(); ++i) {
    const ComposeLayer& layer = plan.layers[i];
    if (layer.kind == ComposeLayerKind::tarball && is_same_path(output, layer.path))
      throw UsageError{what + " " + path_in_quotes(output) +
                       " would overwrite the tarball of layer " + std::to_string(i + 1)};
    if (layer.kind == ComposeLayerKind::directory && resolves_within(output, layer.path))
      throw UsageError{what + " " + path_in_quotes(output) + " is inside the directory of layer " +
                       std::to_string(i + 1) + ", which is packed: write it elsewhere"};
  }
}

// A directory resolved (absolute, symlinks followed); nullopt when it cannot be.
std::optional<fs::path> resolved_directory(const fs::path& directory) {
  std::error_code ec;
  fs::path resolved = fs::canonical(fs::absolute(directory, ec), ec);
  if (ec || !fs::is_directory(resolved, ec)) return std::nullopt;
  return resolved;
}

// The directories the compose file's layers may reach: its own, then --allow-outside=DIR.
std::vector<fs::path> reach_roots(const Args& args, const fs::path& file) {
  fs::path parent = file.parent_path().empty() ? fs::path(".") : file.parent_path();
  auto own = resolved_directory(parent);
  if (!own)
    throw Failure{"compose file " + path_in_quotes(file) + ": cannot resolve its directory"};
  std::vector<fs::path> roots{*own};
  if (args.allow_outside) {
    auto allowed = resolved_directory(*args.allow_outside);
    if (!allowed)
      throw UsageError{"--allow-outside=" + printable(*args.allow_outside, 200) +
                       " is not a directory"};
    roots.push_back(*allowed);
  }
  return roots;
}

// Refuses, before any work, a directory or tarball outside what the compose file may reach.
void check_reach(const Plan& plan, const std::vector<fs::path>& roots) {
  for (std::size_t i = 0; i < plan.layers.size(); ++i) {
    const ComposeLayer& layer = plan.layers[i];
    if (layer.kind == ComposeLayerKind::existing) continue;
    std::error_code ec;
    fs::path resolved = fs::canonical(layer.path, ec);
    if (ec) throw Failure{layer_prefix(plan, i) + "cannot resolve " + path_in_quotes(layer.path)};
    if (auto problem = reach_problem(layer.entry, resolved, roots); !problem.empty())
      throw Failure{layer_prefix(plan, i) + problem};
  }
}

// A directory's tarball is named after it, and the name becomes a tag: refused before any work.
void check_directory_names(const Plan& plan) {
  for (std::size_t i = 0; i < plan.layers.size(); ++i) {
    if (plan.layers[i].kind != ComposeLayerKind::directory) continue;
    std::string name = tarball_for(plan.layers[i].path, {}).filename().string();
    if (!is_tag(name))
      throw Failure{layer_prefix(plan, i) + "the tarball's file name " + in_quotes(name, 200) +
                    " (the directory's name) is not a valid OCI tag "
                    "([a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}), and the file name becomes the layer's "
                    "tag: rename the directory, or pack it into a tarball of another name"};
  }
}

void check_outputs(const Plan& plan) {
  bool to_file = plan.output && *plan.output != "-";
  if (plan.car) check_output(plan, *plan.car, "the CAR");
  if (to_file) check_output(plan, *plan.output, "the image document (-o)");
  if (plan.car && to_file && is_same_path(*plan.car, *plan.output))
    throw UsageError{"the CAR and the image document (-o) must be two different files, not " +
                     path_in_quotes(*plan.car)};
}

Plan plan_of(const Args& args) {
  Plan plan;
  static_cast<Destination&>(plan) = destination_of(args);
  if (args.output) plan.output = fs::path(*args.output);
  plan.file = args.positional.front();

  auto compose = parse_compose_file(read_compose_file(plan.file));
  if (!compose) throw Failure{"compose file " + path_in_quotes(plan.file) + ": " + compose.error()};
  plan.compose = std::move(*compose);
  auto layers = classify_compose_layers(plan.compose.layers, plan.file, probe);
  if (!layers) throw Failure{layers.error()};
  plan.layers = std::move(*layers);
  check_reach(plan, reach_roots(args, plan.file));
  check_directory_names(plan);
  check_outputs(plan);
  return plan;
}

// What composing made.
struct Composed {
  std::vector<std::optional<LayerDag>> dags;  // per layer; the packed ones hold their DAG
  std::optional<DetectedPlatform> detected;   // the platform read from the executables packed
  std::string document;                       // the image document's text
  Cid document_cid;
  std::vector<Cid> car_roots;
};

BlockSink into(CarFile& car) {
  return [&car](const Cid& cid, std::string_view block) {
    if (auto added = car.add(cid, block); !added) throw SinkError(added.error());
  };
}

LayerDag pack_layer(const Plan& plan, std::size_t index, const BlockSink& sink,
                    const ScratchDirectory* scratch, const ProgressObserver& progress) {
  const ComposeLayer& layer = plan.layers[index];
  PackOptions pack;
  pack.progress = progress;
  // A directory's tarball gets pack's default name, which is part of its IPFS path.
  if (layer.kind == ComposeLayerKind::directory)
    pack.tarball_dir = layer_directory(*scratch, index + 1);
  pack.at = layer.at;
  auto dag = pack_layer_blocks(layer.path, pack, sink);
  if (!dag) throw Failure{layer_prefix(plan, index) + dag.error()};
  return std::move(*dag);
}

// The platform of the packed layers' executables, when the compose file declares none.
std::optional<DetectedPlatform> detected_platform(const Plan& plan, const Composed& composed) {
  if (plan.compose.image.platform) return std::nullopt;
  std::vector<std::optional<LayerPlatforms>> layers;
  for (const auto& dag : composed.dags)
    layers.push_back(dag ? std::optional<LayerPlatforms>(dag->layer.platforms) : std::nullopt);
  auto detected = detect_image_platform(layers);
  if (!detected)
    throw Failure{"compose file " + path_in_quotes(plan.file) + ": " + detected.error()};
  return std::move(*detected);
}

// The image document for the layers: its text, validated as ocipfsd will read it. A detected
// platform is declared, with the file it was read from as an annotation.
std::string document_text(const Plan& plan, const Composed& composed) {
  ImageDocument document = plan.compose.image;
  if (composed.detected) {
    document.platform = composed.detected->platform;
    document.annotations[std::string(platform_source_annotation)] = composed.detected->source;
  }
  document.layers.clear();
  for (std::size_t i = 0; i < plan.layers.size(); ++i)
    document.layers.push_back(composed.dags[i] ? composed.dags[i]->manifest_cid
                                               : plan.layers[i].manifest_cid);
  std::string text = image_document_json(document);
  if (auto valid = parse_image_document(text); !valid)
    throw Failure{"internal error: the image document written for compose file " +
                  path_in_quotes(plan.file) + " does not parse: " + valid.error()};
  return text;
}

// Packs what needs packing and makes the image document, every block into `sink`: each packed
// layer's blocks (children first), then the document's.
Composed compose(const Plan& plan, const BlockSink& sink, const ScratchDirectory* scratch) {
  Composed composed;
  ProgressLine progress("composing");
  for (std::size_t i = 0; i < plan.layers.size(); ++i) {
    composed.dags.emplace_back();
    if (plan.layers[i].kind != ComposeLayerKind::existing)
      composed.dags.back() = pack_layer(plan, i, sink, scratch, progress.observer());
  }
  composed.detected = detected_platform(plan, composed);
  composed.document = document_text(plan, composed);
  try {
    composed.document_cid = import_file(composed.document, sink).cid;
  } catch (const SinkError& error) {
    throw Failure{error.what()};
  }
  composed.car_roots.push_back(composed.document_cid);
  for (const auto& dag : composed.dags) {
    if (!dag) continue;
    composed.car_roots.push_back(dag->manifest_cid);
    composed.car_roots.push_back(dag->directory_cid);
  }
  return composed;
}

// Adds every packed layer and the image document through the node's API, and proves that the
// node's CIDs are the ones computed here.
void add_to_node(const Plan& plan, const Composed& composed) {
  for (std::size_t i = 0; i < composed.dags.size(); ++i) {
    if (!composed.dags[i]) continue;
    auto published = publish_layer(*plan.api, composed.dags[i]->layer, plan.api_options);
    if (!published) throw Failure{layer_prefix(plan, i) + published.error()};
    if (auto same = check_node_cids(*published, *composed.dags[i]); !same)
      throw Failure{layer_prefix(plan, i) + same.error()};
  }
  auto added = ipfs_add_bytes(*plan.api, composed.document, "image.json", false, plan.api_options);
  if (!added) throw Failure{"adding the image document: " + added.error()};
  const std::string& hash = added->back().hash;
  auto cid = parse_cid(hash);
  if (!cid || cid->v1_bytes() != composed.document_cid.v1_bytes())
    throw Failure{"the IPFS node stored the image document as " + printable(hash, 120) +
                  ", but ocipfs computes " + composed.document_cid.to_string() +
                  ": the node imports with other parameters than ipfs add --cid-version=1 "
                  "--raw-leaves"};
}

std::optional<AtomicFile> open_output(const Plan& plan) {
  if (!plan.output || *plan.output == "-") return std::nullopt;
  auto file = AtomicFile::create(*plan.output);
  if (!file) throw Failure{file.error()};
  return std::move(*file);
}

void write_output(const Plan& plan, std::optional<AtomicFile>& file, const std::string& text) {
  if (!plan.output) return;
  if (!file) {
    write_out(stdout, text);
    return;
  }
  auto written = file->write(text);
  if (written) written = file->commit();
  if (!written) throw Failure{written.error()};
}

std::optional<CarFile> open_car(const Plan& plan) {
  if (!plan.car) return std::nullopt;
  auto car = CarFile::create(*plan.car, 1 + 2 * packed_layer_count(plan.layers));
  if (!car) throw Failure{car.error()};
  return std::move(*car);
}

// Where the tarballs of directory layers are written meanwhile: beside the CAR, or in $TMPDIR.
std::optional<ScratchDirectory> scratch_for(const Plan& plan) {
  bool any = false;
  for (const auto& layer : plan.layers) any = any || layer.kind == ComposeLayerKind::directory;
  if (!any) return std::nullopt;
  if (plan.car) {
    fs::path parent = plan.car->parent_path();
    return std::optional<ScratchDirectory>(std::in_place, parent.empty() ? "." : parent,
                                           ".ocipfs-compose-");
  }
  return std::optional<ScratchDirectory>(std::in_place, fs::path(), "ocipfs-compose-");
}

// What became of a packed layer's tarball: a directory's is made in a temporary file that is
// removed once its blocks are in the CAR or on the node; a tarball given is used as it is.
std::string what_became_of(const Plan& plan, const ComposeLayer& layer, const LayerDag& dag) {
  std::string where = plan.car && plan.api ? "the CAR and the node"
                      : plan.car           ? "the CAR"
                                           : "the node";
  if (layer.kind == ComposeLayerKind::directory)
    return "tarred as " + dag.layer.file_name + " into " + where + " (no tarball file is kept)";
  return "stored as it is into " + where;
}

// What the image is offered for, and why.
std::string platform_line(const Plan& plan, const Composed& composed) {
  if (plan.compose.image.platform)
    return platform_text(*plan.compose.image.platform) + " (declared in the compose file)";
  if (composed.detected)
    return platform_text(composed.detected->platform) + " (read from " +
           printable(composed.detected->source, 200) + ")";
  return "every default platform: no executable packed (layers by CID count by their manifest)";
}

nlohmann::json platform_facts(const Plan& plan, const Composed& composed) {
  if (plan.compose.image.platform)
    return {{"platform", platform_text(*plan.compose.image.platform)}};
  if (composed.detected)
    return {{"platform", platform_text(composed.detected->platform)},
            {"platform_read_from", composed.detected->source}};
  return {{"platform", nullptr}};
}

void print_layers(const Report& report, const Plan& plan, const Composed& composed) {
  for (std::size_t i = 0; i < plan.layers.size(); ++i) {
    std::string label = "layer " + std::to_string(i + 1);
    const auto& dag = composed.dags[i];
    if (!dag) {
      std::string cid = plan.layers[i].manifest_cid.to_string();
      report.item(label, cid + " (existing layer manifest)", "layers",
                  {{"entry", plan.layers[i].entry}, {"manifest_cid", cid}, {"packed", false}});
      continue;
    }
    const std::string& at = plan.layers[i].at;
    report.item(label,
                printable(plan.layers[i].entry, 200) +
                    (at == "/" ? "" : " at " + printable(at, 200)) + ": " +
                    what_became_of(plan, plan.layers[i], *dag) + ", " + dag->layer.digest + ", " +
                    std::to_string(dag->layer.size) + " bytes, layer manifest " +
                    dag->manifest_cid.to_string(),
                "layers",
                {{"entry", plan.layers[i].entry},
                 {"at", at},
                 {"manifest_cid", dag->manifest_cid.to_string()},
                 {"packed", true},
                 {"tag", dag->layer.file_name},
                 {"digest", dag->layer.digest},
                 {"size", dag->layer.size},
                 {"diff_id", dag->layer.diff_id},
                 {"directory_cid", dag->directory_cid.to_string()},
                 {"tarball_cid", dag->tarball_cid.to_string()}});
  }
  report.line("platform", platform_line(plan, composed), platform_facts(plan, composed));
  report.line("image document",
              composed.document_cid.to_string() + " (" + std::to_string(composed.document.size()) +
                  " bytes)",
              {{"image_document_cid", composed.document_cid.to_string()},
               {"image_document_size", composed.document.size()}});
}

void print_reference(const Report& report, const Plan& plan, const Composed& composed) {
  std::string image = plan.registry + "/image/" + composed.document_cid.to_string();
  const std::string& tag = plan.compose.image.tag;
  std::string reference = image + (tag.empty() ? "" : ":" + tag);
  report.line("reference", reference, {{"reference", reference}, {"tag", tag}});
  report.paste("from", "FROM " + image);
  report.paste("docker_run", "docker run " + image);
}

}  // namespace

int run_compose(const Args& args) {
  Plan plan = plan_of(args);
  std::optional<AtomicFile> output = open_output(plan);
  std::optional<CarFile> car = open_car(plan);
  std::optional<ScratchDirectory> scratch = scratch_for(plan);
  Composed composed = compose(plan, car ? into(*car) : BlockSink{}, scratch ? &*scratch : nullptr);
  if (car) {
    if (auto committed = car->commit(composed.car_roots); !committed)
      throw Failure{committed.error()};
  }

  Report report(args, plan.output == fs::path("-") ? stderr : stdout);
  print_layers(report, plan, composed);
  if (car)
    print_car(report, car->destination(), car->block_count(), car->size(), composed.car_roots);
  if (plan.api) {
    add_to_node(plan, composed);
    report.line("ipfs node", plan.api->origin() + ": the layers and the image document added",
                {{"ipfs_node", plan.api->origin()}});
  }
  write_output(plan, output, composed.document);
  if (output) report.json({{"image_document_file", plan.output->string()}});
  print_reference(report, plan, composed);
  report.finish();
  return 0;
}

}  // namespace ocipfs::cli
