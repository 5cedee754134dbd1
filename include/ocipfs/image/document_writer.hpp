// The canonical text of a synthesized image's documents (config, manifest, index), written from
// the image's facts straight into a caller's buffer: byte for byte what nlohmann's dump() of the
// documents' JSON values gives (keys sorted, no whitespace), with no JSON library.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>

#include "ocipfs/base/digest.hpp"
#include "ocipfs/image/platform.hpp"

namespace ocipfs {

inline constexpr std::string_view oci_manifest_media_type =
    "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view oci_index_media_type = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view oci_config_media_type =
    "application/vnd.oci.image.config.v1+json";

// What a layer contributes to the documents of an image that has it.
struct ImageLayer {
  std::string_view media_type;    // one of the layer media types is_layer_media_type accepts
  Sha256 digest{};                // of the tarball as stored
  std::uint64_t size = 0;         // bytes of the tarball
  std::string_view ipfs_path;     // the io.ocipfs.layer.ipfs.cid annotation, as written
  Sha256 diff_id{};               // of the uncompressed tar
  std::string_view manifest_cid;  // the layer manifest's CID, CIDv1 base32
};

// A document as another document names it.
struct DocumentFacts {
  Sha256 digest{};
  std::uint64_t size = 0;
};

// One entry of an index: the platform and the manifest for it.
struct IndexEntry {
  const Platform* platform = nullptr;
  DocumentFacts manifest;
};

// Appends the image config for `platform`: the container `config` (a canonical JSON object's
// text), one history entry per layer naming its layer manifest, and rootfs.diff_ids in order.
void append_image_config(std::string& out, const Platform& platform,
                         std::string_view container_config, std::span<const ImageLayer> layers);

// Appends the image manifest naming `config` and `layers` (bottom first), with `annotations` (a
// canonical JSON object's text, or empty for none) as its annotations.
void append_image_manifest(std::string& out, std::string_view annotations,
                           const DocumentFacts& config, std::span<const ImageLayer> layers);

// Appends the image index over `entries`, in order.
void append_image_index(std::string& out, std::span<const IndexEntry> entries);

// Appends `strings` as a canonical JSON object (the map's order is the sorted order); nothing
// when it is empty.
void append_string_object(std::string& out, const std::map<std::string, std::string>& strings);

}  // namespace ocipfs
