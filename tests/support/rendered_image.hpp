// An image with every document rendered, in the shape tests compare answers with: the bytes and
// the digest text of each, by platform, and its layers as layer manifests.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ocipfs/image/image.hpp"

namespace ocipfs::testing {

struct RenderedBlob {
  std::string bytes;
  std::string digest;
  std::string media_type;  // a verbatim image's own; empty for a synthesized one's OCI type
};

struct RenderedPlatform {
  Platform platform;
  RenderedBlob config;
  RenderedBlob manifest;
};

struct RenderedImage {
  explicit RenderedImage(const Image& image);

  std::string cid;
  std::vector<LayerManifest> layers;
  std::vector<std::string> layer_manifests;
  std::vector<RenderedPlatform> platforms;
  RenderedBlob index;  // empty digest: none
  std::vector<RenderedBlob> nested_indexes;
  std::vector<std::string> tags;

  const RenderedPlatform& default_platform() const { return platforms.front(); }
  bool has_index() const { return !index.digest.empty(); }
  const RenderedBlob* manifest_by_digest(std::string_view digest) const;
  const RenderedBlob* config_by_digest(std::string_view digest) const;
  const LayerManifest* layer_by_digest(std::string_view digest) const;
};

}  // namespace ocipfs::testing
