// The images one thread answers from without asking the shared caches: found by repository name
// as it was requested, read-mostly, touched by no other thread.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "ocipfs/image/image.hpp"

namespace ocipfs {

class HotImages {
 public:
  // At most `capacity` names are remembered; past it, names whose image is gone are forgotten
  // first, then any.
  explicit HotImages(std::size_t capacity = 1 << 16);

  // The image remembered for `name`, while it still lives in a cache or in an answer being
  // sent; nullptr otherwise. Allocates nothing and takes no lock.
  std::shared_ptr<const Image> find(std::string_view name) const;
  // Remembers `image` for `name`, a repository name that routed to it.
  void remember(std::string_view name, const std::shared_ptr<const Image>& image);

  std::size_t size() const { return images_.size(); }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const {
      return std::hash<std::string_view>{}(text);
    }
  };
  std::unordered_map<std::string, std::weak_ptr<const Image>, Hash, std::equal_to<>> images_;
  std::size_t capacity_;
};

}  // namespace ocipfs
