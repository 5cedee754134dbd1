#include "ocipfs/image_cache.hpp"

namespace ocipfs {

namespace {
// Per-entry bookkeeping: a list node, a hash node, the key and the shared image's control block.
constexpr std::size_t entry_overhead = 160;

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

bool is_cacheable(const Resolution& value) {
  return value.has_value() || value.error().code == ErrorCode::manifest_invalid;
}

ImageCache::ImageCache(std::size_t max_bytes) : max_bytes_(max_bytes) {}

std::optional<Resolution> ImageCache::find(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto it = index_.find(key);
  if (it == index_.end()) {
    ++misses_;
    return std::nullopt;
  }
  ++hits_;
  entries_.splice(entries_.begin(), entries_, it->second);
  return it->second->value;
}

void ImageCache::insert(const std::string& key, Resolution value) {
  std::size_t cost = cache_cost(key, value);
  std::lock_guard lock(mutex_);
  if (auto it = index_.find(key); it != index_.end()) {
    auto node = it->second;
    bytes_ -= node->cost;
    index_.erase(it);  // before the node: the index's key views the node's
    entries_.erase(node);
  }
  if (cost > max_bytes_) return;
  while (bytes_ + cost > max_bytes_ && !entries_.empty()) {
    const Entry& victim = entries_.back();
    bytes_ -= victim.cost;
    index_.erase(victim.key);
    entries_.pop_back();
  }
  entries_.push_front(Entry{key, std::move(value), cost});
  index_.emplace(entries_.front().key, entries_.begin());
  bytes_ += cost;
}

CacheStats ImageCache::stats() const {
  std::lock_guard lock(mutex_);
  return {hits_, misses_, entries_.size(), bytes_};
}

}  // namespace ocipfs
