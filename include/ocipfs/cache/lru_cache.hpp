// An in-memory LRU cache bounded by bytes, safe to share between threads. A leaf: it knows
// nothing of what it holds; whoever inserts says what an entry costs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
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
  // Whether an entry about to be evicted was used since it last moved up, by a reader that does
  // not call find (and clears that mark): such an entry gets a second chance at the front.
  using Spare = bool (*)(const Value&);

  explicit LruCache(std::size_t max_bytes, Spare spare = nullptr)
      : max_bytes_(max_bytes), spare_(spare) {}

  // A hit marks the entry as recently used.
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
  void insert(const std::string& key, Value value, std::size_t cost) {
    std::lock_guard lock(mutex_);
    if (auto it = index_.find(key); it != index_.end()) {
      auto node = it->second;
      bytes_ -= node->cost;
      index_.erase(it);  // before the node: the index's key views the node's
      entries_.erase(node);
    }
    if (cost > max_bytes_) return;
    std::size_t spared = 0;  // each entry is spared once per insert at most
    while (bytes_ + cost > max_bytes_ && !entries_.empty()) {
      if (spare_ && spared < entries_.size() && spare_(entries_.back().value)) {
        entries_.splice(entries_.begin(), entries_, std::prev(entries_.end()));
        ++spared;
        continue;
      }
      const Entry& victim = entries_.back();
      bytes_ -= victim.cost;
      index_.erase(victim.key);
      entries_.pop_back();
    }
    entries_.push_front(Entry{key, std::move(value), cost});
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
  Spare spare_;
  std::size_t bytes_ = 0;
  std::uint64_t hits_ = 0;
  std::uint64_t misses_ = 0;
  List entries_;  // most recently used first
  std::unordered_map<std::string_view, typename List::iterator> index_;
};

}  // namespace ocipfs
