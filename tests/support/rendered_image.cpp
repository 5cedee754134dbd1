#include "support/rendered_image.hpp"

namespace ocipfs::testing {

namespace {

RenderedBlob rendered_blob(const Image& image, const Document& document) {
  return {image.rendered(document), sha256_digest_text(document.digest),
          image.verbatim() ? std::string(image.media_type(document)) : std::string()};
}

}  // namespace

RenderedImage::RenderedImage(const Image& image)
    : cid(image.cid()), tags(image.tags().begin(), image.tags().end()) {
  for (std::size_t i = 0; i < image.layers().size(); ++i) {
    layers.push_back(image.layer_manifest(i));
    layer_manifests.emplace_back(image.layer_manifest_cid(i));
  }
  for (std::size_t i = 0; i < image.platforms().size(); ++i)
    platforms.push_back({image.platforms()[i], rendered_blob(image, image.config_of(i)),
                         rendered_blob(image, image.manifest_of(i))});
  const Document* top = image.index();
  if (top) index = rendered_blob(image, *top);
  for (const auto& document : image.documents())
    if (image.role(document) == DocumentRole::index && &document != top)
      nested_indexes.push_back(rendered_blob(image, document));
}

const RenderedBlob* RenderedImage::manifest_by_digest(std::string_view digest) const {
  if (has_index() && digest == index.digest) return &index;
  for (const auto& nested : nested_indexes)
    if (nested.digest == digest) return &nested;
  for (const auto& each : platforms)
    if (each.manifest.digest == digest) return &each.manifest;
  return nullptr;
}

const RenderedBlob* RenderedImage::config_by_digest(std::string_view digest) const {
  for (const auto& each : platforms)
    if (each.config.digest == digest) return &each.config;
  return nullptr;
}

const LayerManifest* RenderedImage::layer_by_digest(std::string_view digest) const {
  for (const auto& layer : layers)
    if (layer.digest == digest) return &layer;
  return nullptr;
}

}  // namespace ocipfs::testing
