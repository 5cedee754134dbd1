// An image source opened for import: its kind, the blob to import, its tag, and how to read its
// blobs: small ones by lookup, layers streamed into the sink. Private to src/publish (import).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "layer_stream.hpp"
#include "ocipfs/formats/unixfs.hpp"
#include "ocipfs/image/repository.hpp"
#include "ocipfs/publish/image_source.hpp"
#include "ocipfs/publish/resolved_image.hpp"

namespace ocipfs::publish_detail {

struct OpenedSource {
  ImageSourceKind kind = ImageSourceKind::oci_layout;
  BlobDescriptor top;  // the index or manifest to import
  std::string tag;     // "" when the source names no valid OCI tag
  BlobLookup lookup;
  // Fails when a layer blob is missing, before any block is given.
  std::function<void(const std::vector<BlobDescriptor>&)> check_layers;
  // Gives each layer to the sink (a LayerStream each) and records its root in the nodes.
  std::function<void(const std::vector<BlobDescriptor>&, const BlockSink&, LayerNodes&)>
      import_layers;
};

// `name` when it is a valid OCI tag, else "".
inline std::string tag_or_empty(const std::string& name) { return is_tag(name) ? name : ""; }

}  // namespace ocipfs::publish_detail
