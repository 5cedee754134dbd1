// The images one thread answers from without asking the shared caches: found by repository name
// as it was requested, read-mostly, touched by no other thread. Each finding marks its image as
// used, for the shared cache that holds it.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "ocipfs/image/image.hpp"

namespace ocipfs {

// A mark that readers outside a cache set on an entry when they answer from it, so that the cache
// does not take the entry for unused (LruCache's Spare).
class UseMark {
 public:
  // A load, and a store only the first time: a mark set by one thread costs the others nothing.
  void mark() const {
    if (!used_.load(std::memory_order_relaxed)) used_.store(true, std::memory_order_relaxed);
  }
  // Whether it was marked since it was last taken.
  bool take() const { return used_.exchange(false, std::memory_order_relaxed); }

 private:
  mutable std::atomic<bool> used_{false};
};

class HotImages {
 public:
  // At most `capacity` names are remembered; past it, names whose image is gone are forgotten
  // first, then any.
  explicit HotImages(std::size_t capacity = 1 << 16);

  // The image remembered for `name`, while it still lives in a cache or in an answer being
  // sent, its use marked; nullptr otherwise. Allocates nothing and takes no lock.
  std::shared_ptr<const Image> find(std::string_view name) const;
  // Remembers `image` for `name`, a repository name that routed to it, and `use` (may be null),
  // the mark of the cache entry that holds it.
  void remember(std::string_view name, const std::shared_ptr<const Image>& image,
                std::shared_ptr<const UseMark> use);

  std::size_t size() const { return images_.size(); }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const {
      return std::hash<std::string_view>{}(text);
    }
  };
  struct Entry {
    std::weak_ptr<const Image> image;
    std::shared_ptr<const UseMark> use;
  };
  std::unordered_map<std::string, Entry, Hash, std::equal_to<>> images_;
  std::size_t capacity_;
};

}  // namespace ocipfs
