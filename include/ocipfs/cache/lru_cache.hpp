// An in-memory cache bounded by bytes, safe to share between threads. A leaf: it knows nothing
// of what it holds; whoever inserts says what an entry costs.
//
// An entry is one allocation (its links, its value and its key's bytes), and a hit touches only
// that entry: it is marked as found, where a list splice would write to two other entries (two
// cache misses each, at a hundred thousand entries). Eviction is by second chance, the usual
// approximation of least recently used: the oldest entry goes unless it was found since it was
// queued, in which case it is queued again as the newest, unmarked.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <mutex>
#include <new>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace ocipfs {

struct CacheStats {
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;
  std::size_t entries = 0;
  std::size_t bytes = 0;
};

template <class Value>
class LruCache {
  struct Node {
    Node* newer;           // towards the newest end of the queue
    Node* older;           // towards the oldest, the next to be evicted
    Node* next_in_bucket;  // the hash chain
    std::size_t cost;
    std::uint32_t key_size;
    bool found;  // found since it was queued as the newest
    Value value;
    // The key's bytes follow the node in its allocation.
    std::string_view key() const { return {reinterpret_cast<const char*>(this + 1), key_size}; }
  };

 public:
  // What an entry costs besides its key's bytes and what its value holds on the heap: the node
  // (the value's own object included), the buckets that point at it (two at most, the table is
  // grown by doubling), and the allocator's header and rounding.
  static constexpr std::size_t entry_overhead = sizeof(Node) + 2 * sizeof(Node*) + 8 + 15;
  // The longest key an entry holds; a longer one is not kept.
  static constexpr std::size_t max_key_size = 1024;

  explicit LruCache(std::size_t max_bytes) : max_bytes_(max_bytes), buckets_(64, nullptr) {}
  LruCache(const LruCache&) = delete;
  LruCache& operator=(const LruCache&) = delete;
  ~LruCache() {
    while (oldest_) destroy(unqueue(oldest_));
  }

  // Whether a look-up that finds nothing counts as a miss: not when the caller will look again
  // before it gives up (each request counts one miss at most).
  enum class Tally : std::uint8_t { hits_and_misses, hits_only };

  // A hit marks the entry as found and copies its value out; nothing is allocated. The key is
  // any view of the bytes: nothing is made of it to look it up.
  std::optional<Value> find(std::string_view key, Tally tally = Tally::hits_and_misses) {
    std::lock_guard lock(mutex_);
    Node* node = *slot_of(key);
    if (!node) {
      if (tally == Tally::hits_and_misses) ++misses_;
      return std::nullopt;
    }
    ++hits_;
    if (!node->found) node->found = true;
    return node->value;
  }

  // Inserts or replaces an entry that costs `cost` bytes (its key and value, all told); evicts
  // until the total fits. An entry larger than the cache, or keyed by more than max_key_size
  // bytes, is not kept.
  void insert(std::string_view key, Value value, std::size_t cost) {
    std::lock_guard lock(mutex_);
    if (Node** slot = slot_of(key); *slot) erase(slot);
    if (cost > max_bytes_ || key.size() > max_key_size) return;
    while (bytes_ + cost > max_bytes_ && oldest_) evict_or_requeue(oldest_);
    Node* node = make(key, std::move(value), cost);
    Node** head = &bucket_of(key);
    node->next_in_bucket = *head;
    *head = node;
    queue_as_newest(node);
    bytes_ += cost;
    if (++entries_ > buckets_.size()) grow();
  }

  CacheStats stats() const {
    std::lock_guard lock(mutex_);
    return {hits_, misses_, entries_, bytes_};
  }

 private:
  Node*& bucket_of(std::string_view key) {
    return buckets_[std::hash<std::string_view>{}(key) & (buckets_.size() - 1)];
  }

  // The link that points at the entry keyed `key`, or at the null ending its chain.
  Node** slot_of(std::string_view key) {
    Node** slot = &bucket_of(key);
    while (*slot && (*slot)->key() != key) slot = &(*slot)->next_in_bucket;
    return slot;
  }

  static Node* make(std::string_view key, Value&& value, std::size_t cost) {
    void* raw = ::operator new(sizeof(Node) + key.size());
    Node* node = new (raw)
        Node{nullptr, nullptr,         nullptr, cost, static_cast<std::uint32_t>(key.size()),
             false,   std::move(value)};
    std::memcpy(reinterpret_cast<char*>(node + 1), key.data(), key.size());
    return node;
  }

  static void destroy(Node* node) {
    node->~Node();
    ::operator delete(node);
  }

  void queue_as_newest(Node* node) {
    node->older = newest_;
    node->newer = nullptr;
    (newest_ ? newest_->newer : oldest_) = node;
    newest_ = node;
  }

  Node* unqueue(Node* node) {
    (node->older ? node->older->newer : oldest_) = node->newer;
    (node->newer ? node->newer->older : newest_) = node->older;
    return node;
  }

  void erase(Node** slot) {
    Node* node = *slot;
    *slot = node->next_in_bucket;
    bytes_ -= node->cost;
    --entries_;
    destroy(unqueue(node));
  }

  void evict_or_requeue(Node* node) {
    if (!node->found) return erase(slot_of(node->key()));
    node->found = false;
    queue_as_newest(unqueue(node));
  }

  // Doubles the table (at most one entry per bucket on average), oldest entries first.
  void grow() {
    buckets_.assign(buckets_.size() * 2, nullptr);
    for (Node* node = oldest_; node; node = node->newer) {
      Node*& head = bucket_of(node->key());
      node->next_in_bucket = head;
      head = node;
    }
  }

  mutable std::mutex mutex_;
  std::size_t max_bytes_;
  std::size_t bytes_ = 0;
  std::size_t entries_ = 0;
  std::uint64_t hits_ = 0;
  std::uint64_t misses_ = 0;
  std::vector<Node*> buckets_;  // a power of two of them
  Node* newest_ = nullptr;
  Node* oldest_ = nullptr;
};

}  // namespace ocipfs
