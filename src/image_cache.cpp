#include "ocipfs/image_cache.hpp"

namespace ocipfs {

namespace {
// Per entry: a list node, a hash node and allocator slack.
constexpr std::size_t entry_overhead = 128;

std::size_t blob_cost(const Blob& blob) { return blob.bytes.capacity() + blob.digest.capacity(); }
}  // namespace

std::size_t cache_cost(const std::string& key, const Resolution& value) {
  std::size_t cost = entry_overhead + key.capacity();
  if (!value) return cost + sizeof(RegistryError) + value.error().message.capacity();
  const Image& image = **value;
  cost += sizeof(Image) + image.cid.capacity() + blob_cost(image.index);
  cost += image.layer.ipfs_path.capacity() * 2 + image.layer.digest.capacity() * 2 + 128;
  for (const auto& platform : image.platforms)
    cost += sizeof(PlatformImage) + blob_cost(platform.config) + blob_cost(platform.manifest);
  for (const auto& tag : image.tags) cost += sizeof(std::string) + tag.capacity();
  return cost;
}

std::size_t cache_cost(const std::string& key, const std::string& value) {
  return entry_overhead + sizeof(std::string) * 2 + key.capacity() + value.capacity();
}

bool is_cacheable(const Resolution& value) {
  return value.has_value() || value.error().code == ErrorCode::manifest_invalid;
}

}  // namespace ocipfs
