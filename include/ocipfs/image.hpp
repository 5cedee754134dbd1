// The image synthesized from a layer manifest: configs, manifests and an index, as canonical bytes.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ocipfs/layer_manifest.hpp"

namespace ocipfs {

inline constexpr std::string_view oci_manifest_media_type =
    "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view oci_index_media_type = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view oci_config_media_type =
    "application/vnd.oci.image.config.v1+json";

// A document and its digest.
struct Blob {
  std::string bytes;
  std::string digest;
};

// The single-platform image: a config and the manifest that points at it and at the layer.
struct PlatformImage {
  Platform platform;
  Blob config;
  Blob manifest;
};

// An image as the registry serves it: every document it answers with, ready to send, and the
// layers that are downloaded from a gateway.
struct Image {
  std::string cid;                       // the CID of the document it was made from, CIDv1 base32
  std::vector<LayerManifest> layers;     // bottom first
  std::vector<PlatformImage> platforms;  // platforms[0] is served to clients that take no index
  Blob index;                            // an OCI index over `platforms`
  std::vector<std::string> tags;         // sorted: "latest" and the file name when it is a tag

  const PlatformImage& default_platform() const { return platforms.front(); }
  const Blob* manifest_by_digest(std::string_view digest) const;  // index or a platform manifest
  const Blob* config_by_digest(std::string_view digest) const;
  const LayerManifest* layer_by_digest(std::string_view digest) const;
  bool has_tag(std::string_view tag) const;
};

// The platforms offered when the layer manifest declares none. A layer's files do not depend on
// the CPU, so every platform a builder may ask for gets a manifest of its own.
std::span<const Platform> default_platforms();

// Synthesizes the image for a validated layer manifest. Pure and deterministic: the same inputs
// give the same bytes on every run, instance and version (keys sorted, no whitespace).
Image synthesize_image(std::string cid, LayerManifest layer);

// True for a valid OCI tag: [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}.
bool is_tag(std::string_view text);

}  // namespace ocipfs
