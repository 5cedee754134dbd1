// An in-memory LRU cache of resolved images, bounded by bytes and safe to share between threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "ocipfs/resolver.hpp"

namespace ocipfs {

struct CacheStats {
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;
  std::size_t entries = 0;
  std::size_t bytes = 0;
};

// What an entry costs: its image's bytes, or its error message, plus bookkeeping.
std::size_t cache_cost(const std::string& key, const Resolution& value);

// True for what may be cached: images, and layer manifests proven invalid (immutable too).
// Gateway failures never are.
bool is_cacheable(const Resolution& value);

class ImageCache {
 public:
  explicit ImageCache(std::size_t max_bytes);

  // A hit marks the entry as recently used.
  std::optional<Resolution> find(const std::string& key);
  // Inserts or replaces; evicts least recently used entries until the total fits. An entry larger
  // than the whole cache is not kept.
  void insert(const std::string& key, Resolution value);

  CacheStats stats() const;

 private:
  struct Entry {
    std::string key;
    Resolution value;
    std::size_t cost;
  };
  using List = std::list<Entry>;

  mutable std::mutex mutex_;
  std::size_t max_bytes_;
  std::size_t bytes_ = 0;
  std::uint64_t hits_ = 0;
  std::uint64_t misses_ = 0;
  List entries_;  // most recently used first
  std::unordered_map<std::string_view, List::iterator> index_;
};

}  // namespace ocipfs
