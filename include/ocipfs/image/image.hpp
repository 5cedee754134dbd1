// The image synthesized from a layer manifest or an image document: configs, manifests and an
// index, as canonical bytes.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ocipfs/base/expected.hpp"
#include "ocipfs/image/document_writer.hpp"
#include "ocipfs/image/image_document.hpp"
#include "ocipfs/image/layer_manifest.hpp"
#include "ocipfs/image/repository.hpp"

namespace ocipfs {

// A document, its digest, and its media type when it is not the OCI type of its role (a
// verbatim image keeps Docker's types, for instance).
struct Blob {
  std::string bytes;
  std::string digest;
  std::string media_type = {};  // empty: OCI's manifest, index or config type, by role
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
  std::string cid;                    // the CID of the document it was made from, CIDv1 base32
  std::vector<LayerManifest> layers;  // bottom first
  std::vector<std::string> layer_manifests;  // the CID of each layer's manifest, CIDv1 base32
  std::vector<PlatformImage> platforms;      // platforms[0] is served to clients that take no index
  Blob index;  // an OCI index over `platforms`; empty digest: none (a kept single manifest)
  std::vector<Blob> nested_indexes;  // indexes that `index` names, served by digest (verbatim)
  std::vector<std::string> tags;     // sorted: "latest", and the document's tag or the file name

  const PlatformImage& default_platform() const { return platforms.front(); }
  bool has_index() const { return !index.digest.empty(); }
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

// Synthesizes the image an image document composes of `layers`, the validated layer manifests
// that document.layers names, in that order. Each layer's descriptor is as in a one-layer image;
// the config carries document.config, rootfs.diff_ids in order and one history entry per layer
// naming its layer manifest; every manifest carries document.annotations; the index covers the
// platform that image_platform agrees on, or every default platform. Pure and deterministic.
// The error says which two platforms disagree.
Expected<Image> compose_image(std::string cid, const ImageDocument& document,
                              std::vector<LayerManifest> layers);

// The platform of a composed image: the document's and every layer's that declares one, which
// must all agree; nullopt when none declares one. The error names the two that disagree, e.g.
// `layer 2 (bafk...) is for linux/arm64 but layer 1 (bafk...) is for linux/amd64`.
Expected<std::optional<Platform>> image_platform(const ImageDocument& document,
                                                 const std::vector<LayerManifest>& layers);

}  // namespace ocipfs
