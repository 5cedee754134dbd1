// The compressions a layer tarball may have (none, gzip, zstd), as its media type says, and how
// its first bytes give one away. Private to src/publish (pack).
#pragma once

#include <cstddef>
#include <string_view>

#include "ocipfs/publish/layer_tarball.hpp"

namespace ocipfs::publish_detail {

enum class Compression { none, gzip, zstd };

// Tarballs are read and written in pieces of this size.
inline constexpr std::size_t tar_chunk_size = 64 * 1024;

inline Compression compression_of(std::string_view media_type) {
  if (media_type == oci_layer_tar_gzip) return Compression::gzip;
  if (media_type == oci_layer_tar_zstd) return Compression::zstd;
  return Compression::none;
}

// "gzip" or "zstd", for messages about compressed data.
inline std::string_view compression_name(Compression compression) {
  return compression == Compression::gzip ? "gzip" : "zstd";
}

// True when `head`, a file's first bytes, starts as gzip or zstd data does.
inline bool looks_compressed(std::string_view head) {
  return head.starts_with("\x1f\x8b") || head.starts_with("\x28\xb5\x2f\xfd");
}

}  // namespace ocipfs::publish_detail
