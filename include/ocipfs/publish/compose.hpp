// Composing an image: what each layer entry of a compose file names (a directory or a tarball to
// pack, or a layer manifest already stored), decided without I/O.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "ocipfs/base/expected.hpp"
#include "ocipfs/formats/cid.hpp"
#include "ocipfs/image/image_document.hpp"

namespace ocipfs {

// What the file system holds at a path (symlinks followed).
enum class PathKind { other, directory, regular_file };
// Tells the kind of `path`; `other` for nothing there, or anything but a directory or a file.
using PathProbe = std::function<PathKind(const std::filesystem::path& path)>;

enum class ComposeLayerKind {
  directory,  // packed into a reproducible "<directory name>.tar.gz", as `ocipfs pack` does
  tarball,    // a .tar, .tar.gz or .tar.zst file, packed as it is
  existing,   // a layer manifest already stored: its CID
};

struct ComposeLayer {
  ComposeLayerKind kind = ComposeLayerKind::existing;
  std::string entry;           // as written in the compose file
  std::filesystem::path path;  // directory and tarball: the entry under the compose file's folder
  Cid manifest_cid;            // existing: the layer manifest's CID
  std::string at = "/";        // directory: where its contents go in the layer (ComposeEntry::at)
};

// Classifies one entry, in this order:
// 1. `base / entry` (an absolute entry as it is) is a directory, or a regular file whose name
//    ends in .tar, .tar.gz or .tar.zst (another file is an error that says so);
// 2. a reference whose name is layer/<CID>: [HOST/]layer/<CID>[:TAG|@DIGEST], checked with the
//    routing code ocipfsd runs (HOST may carry a path, as --registry does);
// 3. a bare CID in any form (CIDv0 Qm..., CIDv1 in any base parse_cid reads).
// Otherwise the error is `"foo" is not a directory, a tarball, HOST/layer/<CID> or a CID`, with
// the reason a reference or a CID was refused when the entry looks like one.
Expected<ComposeLayer> classify_compose_layer(std::string_view entry,
                                              const std::filesystem::path& base,
                                              const PathProbe& probe);

// Classifies every entry of the compose file at `compose_file` (relative entries are under its
// folder). An "at" other than "/" places a directory only: on a tarball (stored as it is) or a
// layer manifest it is an error. An error names the entry, 1-based, and the file:
// `layer 2 of compose file "x.json": "foo" is not a directory, a tarball, ...`.
Expected<std::vector<ComposeLayer>> classify_compose_layers(
    const std::vector<ComposeEntry>& entries, const std::filesystem::path& compose_file,
    const PathProbe& probe);

// Like a Dockerfile's build context, a compose file reaches only what is under its own directory:
// why a packed layer's `entry` reaches further, or "" when it does not. `resolved` is the entry's
// path with every symlink followed; `roots` the directories it may reach, resolved: the compose
// file's directory first, then any --allow-outside=DIR. An absolute entry is refused unless it
// is within an --allow-outside directory; a relative one (its ".." and its symlinks followed)
// must resolve within one of `roots`.
std::string reach_problem(std::string_view entry, const std::filesystem::path& resolved,
                          const std::vector<std::filesystem::path>& roots);

// How many layers are packed (directories and tarballs).
std::size_t packed_layer_count(const std::vector<ComposeLayer>& layers);

}  // namespace ocipfs
