// A layer blob on its way into the block sink: imported as a UnixFS file while it streams, and
// checked against its descriptor at its end. Private to src/publish (import).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "ocipfs/base/digest.hpp"
#include "ocipfs/formats/unixfs.hpp"
#include "ocipfs/publish/image_source_json.hpp"

namespace ocipfs::publish_detail {

// Import reads layer blobs in pieces of this size.
inline constexpr std::size_t layer_read_size = 64 * 1024;

// One layer blob on its way into the sink: hashed, counted and imported as a UnixFS file
// (FileImporter: raw leaves, CIDv1) as it streams. finish() fails when the bytes written are not
// the descriptor's size or do not hash to its digest, and gives the file's root otherwise.
class LayerStream {
 public:
  LayerStream(const BlobDescriptor& layer, const BlockSink& sink)
      : layer_(layer), importer_(sink) {}
  void write(std::string_view bytes);
  ImportedNode finish();

 private:
  BlobDescriptor layer_;
  FileImporter importer_;
  Sha256Stream hash_;
  std::uint64_t size_ = 0;
};

// Each imported layer's root, by its digest.
using LayerNodes = std::map<std::string, ImportedNode>;

// A layer blob whose bytes are all at hand, through a LayerStream.
ImportedNode import_bytes(const BlobDescriptor& layer, std::string_view bytes,
                          const BlockSink& sink);

}  // namespace ocipfs::publish_detail
