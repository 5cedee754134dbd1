#include "ocipfs/cache/hot_images.hpp"

namespace ocipfs {

HotImages::HotImages(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

std::shared_ptr<const Image> HotImages::find(std::string_view name) const {
  auto it = images_.find(name);
  return it == images_.end() ? nullptr : it->second.lock();
}

void HotImages::remember(std::string_view name, const std::shared_ptr<const Image>& image) {
  if (auto it = images_.find(name); it != images_.end()) {
    it->second = image;
    return;
  }
  if (images_.size() >= capacity_) {
    std::erase_if(images_, [](const auto& entry) { return entry.second.expired(); });
    if (images_.size() >= capacity_) images_.erase(images_.begin());
  }
  images_.emplace(std::string(name), image);
}

}  // namespace ocipfs
