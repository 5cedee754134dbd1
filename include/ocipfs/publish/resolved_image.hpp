// An image to import, resolved: every index, manifest and config read through a lookup and
// checked against its descriptor, and the layers they name.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "ocipfs/base/expected.hpp"
#include "ocipfs/image/platform.hpp"
#include "ocipfs/publish/image_source_json.hpp"

namespace ocipfs {

// An index in index.json's entry is level 1; one more level of index is allowed under it.
inline constexpr std::size_t max_index_depth = 2;

// The bytes of a small blob (index, manifest or config) of a source, by descriptor; the error
// says it is missing or too large. The bytes are checked by resolve_image, not by the lookup.
using BlobLookup = std::function<Expected<std::string>(const BlobDescriptor& descriptor)>;

struct ResolvedManifest {
  BlobDescriptor manifest;
  BlobDescriptor config;
  Platform platform;  // the config's
  std::vector<BlobDescriptor> layers;
};

struct ResolvedImage {
  BlobDescriptor top;                       // its media type filled in when the entry had none
  std::vector<BlobDescriptor> indexes;      // the top index first, then nested ones
  std::vector<ResolvedManifest> manifests;  // in the order the indexes list them
  // Every index, manifest and config with its bytes, once each, in the order read.
  std::vector<std::pair<BlobDescriptor, std::string>> documents;
  std::vector<BlobDescriptor> layers;  // distinct by digest, in order of first appearance
  std::size_t layer_references = 0;    // layers over every manifest, shared ones each time
};

// Reads the image under `top` through `lookup`: every index (nesting at most max_index_depth),
// manifest and config, each at most max_verbatim_blob_size bytes and checked against its
// descriptor's digest and size; at most max_verbatim_layers distinct layers. Errors are one line
// naming the blob and the problem.
Expected<ResolvedImage> resolve_image(const BlobDescriptor& top, const BlobLookup& lookup);

}  // namespace ocipfs
