// A layer tarball: the media types it may have (by its file name's compression), its digests
// once packed, and which entry names are unsafe to extract.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "ocipfs/base/expected.hpp"
#include "ocipfs/publish/layer_platforms.hpp"

namespace ocipfs {

inline constexpr std::string_view oci_layer_tar = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view oci_layer_tar_gzip =
    "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view oci_layer_tar_zstd =
    "application/vnd.oci.image.layer.v1.tar+zstd";

struct PackedLayer {
  std::filesystem::path tarball;  // the tarball as stored: PATH itself, or the one written
  std::string file_name;          // the tarball's file name: a valid OCI tag
  std::string media_type;         // oci_layer_tar, oci_layer_tar_gzip or oci_layer_tar_zstd
  std::string digest;             // "sha256:<hex>" of the tarball's bytes
  std::uint64_t size = 0;         // the tarball's bytes
  std::string diff_id;            // "sha256:<hex>" of the uncompressed tar stream
  std::uint64_t entries = 0;      // entries in the tar
  bool written = false;           // true when the tarball was written from a directory
  LayerPlatforms platforms;       // what its executables run on, read as it was packed
};

// Receives every byte of a tarball as stored, in order. It may throw a std::exception to stop.
using StoredObserver = std::function<void(std::string_view stored)>;
// Told each count of bytes read as packing goes, for a progress display. It may throw a
// std::exception to stop.
using ProgressObserver = std::function<void(std::uint64_t bytes)>;

// The layer media type for a tarball's file name: ".tar", ".tar.gz" or ".tar.zst"; the error
// says which names are accepted.
Expected<std::string> layer_media_type_for(std::string_view file_name);

// Why a tar entry's name is unsafe to extract (empty, absolute, or with a ".." component), or
// "" when it is fine.
std::string unsafe_tar_name_problem(std::string_view name);

}  // namespace ocipfs
