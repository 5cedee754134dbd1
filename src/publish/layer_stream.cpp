#include "layer_stream.hpp"

#include "step_failure.hpp"

namespace ocipfs::publish_detail {

void LayerStream::write(std::string_view bytes) {
  hash_.update(bytes);
  size_ += bytes.size();
  importer_.write(bytes);
}

ImportedNode LayerStream::finish() {
  std::string name = "layer " + layer_.digest;
  if (size_ != layer_.size)
    fail(name + " has " + std::to_string(size_) + " bytes, but its descriptor says " +
         std::to_string(layer_.size));
  std::string actual = hash_.digest();
  if (actual != layer_.digest) fail(name + ": its bytes hash to " + actual);
  return importer_.finish();
}

ImportedNode import_bytes(const BlobDescriptor& layer, std::string_view bytes,
                          const BlockSink& sink) {
  LayerStream stream(layer, sink);
  stream.write(bytes);
  return stream.finish();
}

}  // namespace ocipfs::publish_detail
