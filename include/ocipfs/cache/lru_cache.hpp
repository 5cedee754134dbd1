// An in-memory LRU cache bounded by bytes, safe to share between threads. A leaf: it knows
// nothing of what it holds; whoever inserts says what an entry costs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace ocipfs {

struct CacheStats {
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;
  std::size_t entries = 0;
  std::size_t bytes = 0;
};

// What the cache's own bookkeeping costs per entry (a list node, a hash node, allocator slack),
// besides the key and the value.
inline constexpr std::size_t cache_entry_overhead = 128;

template <class Value>
class LruCache {
 public:
  explicit LruCache(std::size_t max_bytes) : max_bytes_(max_bytes) {}

  // A hit marks the entry as recently used (a splice: nothing is allocated) and copies its value
  // out. The key is any view of the bytes: nothing is made of it to look it up.
  std::optional<Value> find(std::string_view key) {
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

  // Inserts or replaces an entry that costs `cost` bytes (its key and value, all told); evicts
  // least recently used entries until the total fits. An entry larger than the cache is not kept.
  void insert(std::string_view key, Value value, std::size_t cost) {
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
    entries_.push_front(Entry{std::string(key), std::move(value), cost});
    index_.emplace(entries_.front().key, entries_.begin());
    bytes_ += cost;
  }

  CacheStats stats() const {
    std::lock_guard lock(mutex_);
    return {hits_, misses_, entries_.size(), bytes_};
  }

 private:
  struct Entry {
    std::string key;
    Value value;
    std::size_t cost;
  };
  using List = std::list<Entry>;

  mutable std::mutex mutex_;
  std::size_t max_bytes_;
  std::size_t bytes_ = 0;
  std::uint64_t hits_ = 0;
  std::uint64_t misses_ = 0;
  List entries_;  // most recently used first
  std::unordered_map<std::string_view, typename List::iterator> index_;
};

}  // namespace ocipfs
