#include "ocipfs/publish/layer_dag.hpp"

#include <stdexcept>
#include <system_error>
#include <utility>

#include "ocipfs/base/text.hpp"
#include "ocipfs/formats/unixfs.hpp"
#include "ocipfs/image/layer_manifest.hpp"
#include "ocipfs/publish/car_file.hpp"
#include "ocipfs/publish/path_relation.hpp"

namespace ocipfs {

namespace fs = std::filesystem;

namespace {

// Thrown inside this file only (and through pack_path's observer), turned into an Unexpected at
// the API boundary.
struct DagError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

template <class T>
T value_or_throw(Expected<T> result) {
  if (!result) throw DagError(result.error());
  return std::move(*result);
}

BlockSink into(CarFile& car) {
  return [&car](const Cid& cid, std::string_view block) { value_or_throw(car.add(cid, block)); };
}

std::optional<Cid> given_directory(const LayerDagOptions& options) {
  if (!options.ipfs_dir_cid) return std::nullopt;
  auto cid = parse_cid(*options.ipfs_dir_cid);
  if (!cid) throw DagError("--ipfs-dir-cid: " + cid.error());
  return std::move(*cid);
}

// The manifest for the layer stored at `ipfs_path`, validated as ocipfsd will.
std::string checked_manifest(const PackedLayer& layer, const std::string& ipfs_path) {
  std::string manifest = layer_manifest_json(layer, ipfs_path);
  if (auto valid = parse_layer_manifest(manifest); !valid)
    throw DagError("the layer manifest would be invalid: " + valid.error());
  return manifest;
}

// Finishes `dag` whose tarball and directory are known: the manifest and the CAR's end.
void finish_car(LayerDag& dag, CarFile& car, const std::optional<Cid>& given) {
  dag.car_complete = !given || given->v1_bytes() == dag.directory_cid.v1_bytes();
  if (dag.car_complete) {
    dag.manifest_cid = import_file(dag.manifest, into(car)).cid;
    dag.car_roots = layer_car_roots(dag);
    value_or_throw(car.commit(dag.car_roots));
    dag.car_blocks = car.block_count();
    dag.car_size = car.size();
    return;
  }
  // The tarball is stored elsewhere, under other CIDs: the CAR holds the manifest alone.
  CarFile partial = value_or_throw(CarFile::create(dag.car, 1));
  dag.manifest_cid = import_file(dag.manifest, into(partial)).cid;
  dag.car_roots = {dag.manifest_cid};
  value_or_throw(partial.commit(dag.car_roots));
  dag.car_blocks = partial.block_count();
  dag.car_size = partial.size();
}

// Packs `path` and imports its tarball and the directory naming it into `sink`: fills layer,
// tarball_cid and directory_cid.
void pack_tarball(LayerDag& dag, const fs::path& path, const PackOptions& options,
                  const BlockSink& sink) {
  FileImporter importer(sink);
  PackOptions pack = options;
  pack.observe_stored = [&importer](std::string_view stored) { importer.write(stored); };
  dag.layer = value_or_throw(pack_path(path, pack));

  ImportedNode file = importer.finish();
  dag.tarball_cid = file.cid;
  dag.directory_cid = value_or_throw(import_directory({{dag.layer.file_name, file}}, sink)).cid;
}

LayerDag build_layer_dag(const fs::path& path, const LayerDagOptions& options) {
  std::optional<Cid> given = given_directory(options);
  LayerDag dag;
  fs::path tarball = tarball_of(path, options.pack);
  dag.car = options.car.empty() ? car_path_for(tarball) : options.car;
  if (is_same_path(dag.car, tarball))
    throw DagError("the CAR " + in_quotes(dag.car.string(), 200) +
                   " would overwrite the tarball: write it elsewhere with --car=FILE");
  CarFile car = value_or_throw(CarFile::create(dag.car, 2));
  pack_tarball(dag, path, options.pack, into(car));
  dag.ipfs_path =
      (given ? *options.ipfs_dir_cid : dag.directory_cid.to_string()) + "/" + dag.layer.file_name;
  dag.manifest = checked_manifest(dag.layer, dag.ipfs_path);
  finish_car(dag, car, given);
  return dag;
}

LayerDag build_layer_blocks(const fs::path& path, const PackOptions& options,
                            const BlockSink& sink) {
  LayerDag dag;
  pack_tarball(dag, path, options, sink);
  dag.ipfs_path = dag.directory_cid.to_string() + "/" + dag.layer.file_name;
  dag.manifest = checked_manifest(dag.layer, dag.ipfs_path);
  dag.manifest_cid = import_file(dag.manifest, sink).cid;
  return dag;
}

// `build` run with its exceptions turned into errors.
template <class Build>
Expected<LayerDag> caught(Build build) {
  try {
    return build();
  } catch (const std::bad_alloc&) {
    return Unexpected{std::string("out of memory")};
  } catch (const std::exception& error) {
    return Unexpected{std::string(error.what())};
  }
}

}  // namespace

std::string tarball_stem(std::string_view file_name) {
  for (std::string_view suffix : {".tar.gz", ".tar.zst", ".tar"})
    if (file_name.size() > suffix.size() && file_name.ends_with(suffix))
      return std::string(file_name.substr(0, file_name.size() - suffix.size()));
  return std::string(file_name);
}

fs::path car_path_for(const fs::path& tarball) {
  return tarball.parent_path() / (tarball_stem(tarball.filename().string()) + ".car");
}

fs::path manifest_path_for(const fs::path& tarball) {
  return tarball.parent_path() / (tarball_stem(tarball.filename().string()) + ".layer.json");
}

fs::path tarball_of(const fs::path& path, const PackOptions& options) {
  std::error_code ec;
  return fs::is_directory(path, ec) ? tarball_for(path, options) : path;
}

std::vector<Cid> layer_car_roots(const LayerDag& dag) {
  return {dag.manifest_cid, dag.directory_cid};
}

Expected<LayerDag> pack_layer_blocks(const fs::path& path, const PackOptions& pack,
                                     const BlockSink& sink) {
  return caught([&] { return build_layer_blocks(path, pack, sink); });
}

Expected<LayerDag> pack_layer_dag(const fs::path& path, const LayerDagOptions& options) {
  return caught([&] { return build_layer_dag(path, options); });
}

}  // namespace ocipfs
