#include "ocipfs/cache/hot_images.hpp"

namespace ocipfs {

HotImages::HotImages(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

std::shared_ptr<const Image> HotImages::find(std::string_view name) const {
  auto it = images_.find(name);
  if (it == images_.end()) return nullptr;
  auto image = it->second.image.lock();
  if (image && it->second.use) it->second.use->mark();
  return image;
}

void HotImages::remember(std::string_view name, const std::shared_ptr<const Image>& image,
                         std::shared_ptr<const UseMark> use) {
  if (auto it = images_.find(name); it != images_.end()) {
    it->second = {image, std::move(use)};
    return;
  }
  if (images_.size() >= capacity_) {
    std::erase_if(images_, [](const auto& entry) { return entry.second.image.expired(); });
    if (images_.size() >= capacity_) images_.erase(images_.begin());
  }
  images_.emplace(std::string(name), Entry{image, std::move(use)});
}

}  // namespace ocipfs
