// Packing a layer: a directory or a tarball in, the tarball and its OCI digests out (a
// PackedLayer, layer_tarball.hpp), and the layer manifest that points at it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "ocipfs/base/expected.hpp"
#include "ocipfs/publish/layer_tarball.hpp"

namespace ocipfs {

struct PackOptions {
  // For a directory: the tarball to write. Its name picks the compression (.tar, .tar.gz or
  // .tar.zst). Empty: "<directory name>.tar.gz" in `tarball_dir`.
  std::filesystem::path tarball;
  // Where the default tarball goes. Empty: the current directory.
  std::filesystem::path tarball_dir;
  // Receives every byte of the tarball as stored, in order, in the pass that computes its digest
  // and diff_id: while a directory's tarball is written, or while a given tarball is read. It
  // may throw a std::exception to stop packing: pack_path then fails with its what().
  StoredObserver observe_stored = nullptr;
  // Told the bytes read: a directory's tar stream as it is written, or a tarball's stored bytes
  // as they are read. None: no cost.
  ProgressObserver progress = nullptr;
  // For a directory: where its contents go in the tarball. Empty or "/": its root; otherwise an
  // absolute path in normal form ("/app", "/usr/local/app"; see ComposeEntry::at), whose
  // directories come first ("app/", or "usr/", "usr/local/", "usr/local/app/") as the other
  // directories are written: the tarball is the one that packing a directory holding the
  // contents at that place gives. A file is packed as it is: `at` is then an error.
  std::string at = "/";
};

// The tarball that pack_path writes for the directory `directory`.
std::filesystem::path tarball_for(const std::filesystem::path& directory,
                                  const PackOptions& options);

// Packs `path` into a layer:
// - A directory becomes a reproducible tarball (see options.tarball): entries in byte order of
//   their names, depth first, each directory before its contents; regular files, directories,
//   symlinks and hard links only; mtime 0, uid/gid 0, no user or group names; modes normalized to
//   0755 for directories and for files with any execute bit, 0644 for other files; pax format;
//   gzip with no name and no timestamp (zlib, level 6) or zstd (level 3, with checksum). The same
//   directory content gives the same bytes, whoever owns the files and whatever their times. The
//   tarball is an AtomicFile: it appears under its name complete, or not at all. Its digests are
//   computed as it is written.
// - A .tar, .tar.gz or .tar.zst file is read once, as it is, entry by entry: absolute names, ".."
//   components and hard links that leave the tree are refused, and so are corrupt or truncated
//   compressed streams.
// The tarball's file name must be a valid OCI tag (it becomes the image's tag). Errors are one
// line naming the file and the problem.
Expected<PackedLayer> pack_path(const std::filesystem::path& path, const PackOptions& options = {});

// The layer manifest for `layer` stored at `ipfs_path` ("<CID>/<file name>"), in the layout of
// example/layer.json: keys in the README's order, two-space indentation, a final newline. It is
// not validated here: parse it with parse_layer_manifest.
std::string layer_manifest_json(const PackedLayer& layer, std::string_view ipfs_path);

}  // namespace ocipfs
