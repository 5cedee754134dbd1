// A layer as IPFS stores it, computed without a node: the tarball's UnixFS DAG, the directory
// that names it, the layer manifest, their CIDs, and a CAR file that holds every block.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ocipfs/base/expected.hpp"
#include "ocipfs/formats/cid.hpp"
#include "ocipfs/formats/unixfs.hpp"
#include "ocipfs/publish/pack.hpp"

namespace ocipfs {

struct LayerDagOptions {
  PackOptions pack;  // the tarball (observe_stored is pack_layer_dag's own)
  // The CAR to write. Empty: car_path_for(tarball).
  std::filesystem::path car = {};
  // The tarball is already stored under this IPFS directory (added by other means, or with
  // other parameters): the manifest names it. If it is the directory computed here, the CAR is
  // complete; otherwise the CAR holds only the manifest.
  std::optional<std::string> ipfs_dir_cid = std::nullopt;
};

struct LayerDag {
  PackedLayer layer;
  Cid tarball_cid;    // the tarball as `ipfs add --cid-version=1 --raw-leaves` makes it
  Cid directory_cid;  // the directory naming the tarball by its file name (--wrap-with-directory)
  std::string ipfs_path;  // "<directory CID>/<file name>", as the manifest names it
  std::string manifest;   // the layer manifest (layer_manifest_json), validated
  Cid manifest_cid;       // the manifest imported as a file: a raw block while it fits one chunk
  std::filesystem::path car;
  std::vector<Cid> car_roots;  // [manifest, directory], or [manifest] when the CAR is partial
  std::size_t car_blocks = 0;
  std::uint64_t car_size = 0;
  bool car_complete = true;  // false: --ipfs-dir-cid named another directory
};

// The tarball's file name less ".tar", ".tar.gz" or ".tar.zst" (the whole name otherwise).
std::string tarball_stem(std::string_view file_name);
// "<stem>.car" and "<stem>.layer.json" in the tarball's directory.
std::filesystem::path car_path_for(const std::filesystem::path& tarball);
std::filesystem::path manifest_path_for(const std::filesystem::path& tarball);
// The tarball that packing `path` stores: tarball_for() for a directory, else `path` itself.
std::filesystem::path tarball_of(const std::filesystem::path& path, const PackOptions& options);

// The CAR's roots for a complete CAR: the manifest, then the directory. The manifest is a raw
// block that does not link to the tarball, so a pinning service keeps the tarball only because
// the directory is a root too.
std::vector<Cid> layer_car_roots(const LayerDag& dag);

// Packs `path` (as pack_path does; pack.observe_stored is its own) and, in the same single read
// of the tarball, imports it as UnixFS into `sink`: the tarball's blocks children first, then the
// directory node that names it by its file name, then the layer manifest's block(s). Fills
// layer, tarball_cid, directory_cid, ipfs_path, manifest (validated) and manifest_cid; the car
// fields stay empty. The sink may throw a std::exception to stop: the error is then its what().
// An empty sink discards the blocks (for computing CIDs only). Errors as pack_layer_dag's.
Expected<LayerDag> pack_layer_blocks(const std::filesystem::path& path, const PackOptions& pack,
                                     const BlockSink& sink);

// Packs `path` (as pack_path does) and, in the same single read of the tarball, imports it as
// UnixFS and writes the CAR: the tarball's blocks children first (an identical chunk once), then
// the directory node, then the manifest's block(s); the roots go into the header at the end. The
// CAR is an AtomicFile, checked up front (a directory in its way is refused before packing), so
// nothing half-written is left under its name. Memory stays bounded whatever the tarball's size.
// Errors are one line naming the file and the problem.
Expected<LayerDag> pack_layer_dag(const std::filesystem::path& path,
                                  const LayerDagOptions& options = {});

}  // namespace ocipfs
