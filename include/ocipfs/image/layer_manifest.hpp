// The layer manifest: the small JSON document on IPFS that describes one OCI layer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ocipfs/base/expected.hpp"
#include "ocipfs/formats/ipfs_path.hpp"
#include "ocipfs/image/platform.hpp"

namespace ocipfs {

inline constexpr std::string_view layer_manifest_media_type =
    "application/vnd.ocipfs.layer.manifest.v1+json";
inline constexpr std::string_view ipfs_cid_annotation = "io.ocipfs.layer.ipfs.cid";
inline constexpr std::string_view fs_digest_annotation = "io.ocipfs.layer.fs.digest";
inline constexpr std::size_t max_layer_manifest_size = 1024 * 1024;

struct LayerManifest {
  std::string media_type;  // an OCI or Docker layer media type
  std::string digest;      // sha256 of the tarball as stored
  std::uint64_t size = 0;  // bytes of the tarball
  std::string ipfs_path;   // the annotation as written
  IpfsPath path;           // the annotation, parsed
  std::string diff_id;     // sha256 of the uncompressed tar
  std::optional<Platform> platform;
};

// True for the layer media types a registry may serve: OCI tar, tar+gzip, tar+zstd, and the
// Docker rootfs diff.
bool is_layer_media_type(std::string_view media_type);
// The same type as static text when is_layer_media_type accepts it, else empty.
std::string_view static_layer_media_type(std::string_view media_type);

// Parses and validates a layer manifest. Unknown fields are ignored. The error names the field
// and what is wrong with it, e.g. `layer.size must be a non-negative integer below 2^53`.
Expected<LayerManifest> parse_layer_manifest(std::string_view json);

}  // namespace ocipfs
