// Packing a layer: a directory or a tarball in, the tarball and its OCI digests out.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "ocipfs/base/expected.hpp"

namespace ocipfs {

inline constexpr std::string_view oci_layer_tar = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view oci_layer_tar_gzip =
    "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view oci_layer_tar_zstd =
    "application/vnd.oci.image.layer.v1.tar+zstd";

struct PackOptions {
  // For a directory: the tarball to write. Its name picks the compression (.tar, .tar.gz or
  // .tar.zst). Empty: "<directory name>.tar.gz" in `tarball_dir`.
  std::filesystem::path tarball;
  // Where the default tarball goes. Empty: the current directory.
  std::filesystem::path tarball_dir;
  // Receives every byte of the tarball as stored, in order, in the pass that computes its digest
  // and diff_id: while a directory's tarball is written, or while a given tarball is read. It
  // may throw a std::exception to stop packing: pack_path then fails with its what().
  std::function<void(std::string_view stored)> observe_stored = nullptr;
};

struct PackedLayer {
  std::filesystem::path tarball;  // the tarball as stored: PATH itself, or the one written
  std::string file_name;          // the tarball's file name: a valid OCI tag
  std::string media_type;         // oci_layer_tar, oci_layer_tar_gzip or oci_layer_tar_zstd
  std::string digest;             // "sha256:<hex>" of the tarball's bytes
  std::uint64_t size = 0;         // the tarball's bytes
  std::string diff_id;            // "sha256:<hex>" of the uncompressed tar stream
  std::uint64_t entries = 0;      // entries in the tar
  bool written = false;           // true when the tarball was written from a directory
};

// The layer media type for a tarball's file name: ".tar", ".tar.gz" or ".tar.zst"; the error
// says which names are accepted.
Expected<std::string> layer_media_type_for(std::string_view file_name);

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
//   compressed streams. The
// tarball's file name must be a valid OCI tag (it becomes the image's tag). Errors are one line
// naming the file and the problem.
Expected<PackedLayer> pack_path(const std::filesystem::path& path, const PackOptions& options = {});

// The layer manifest for `layer` stored at `ipfs_path` ("<CID>/<file name>"), in the layout of
// example/layer.json: keys in the README's order, two-space indentation, a final newline. It is
// not validated here: parse it with parse_layer_manifest.
std::string layer_manifest_json(const PackedLayer& layer, std::string_view ipfs_path);

// Why a tar entry's name is unsafe to extract (empty, absolute, or with a ".." component), or
// "" when it is fine.
std::string unsafe_tar_name_problem(std::string_view name);

}  // namespace ocipfs
