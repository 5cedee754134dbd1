#include "ocipfs/cache/resolver.hpp"

#include "ocipfs/cache/lru_cache.hpp"
#include "ocipfs/formats/recognize.hpp"
#include "ocipfs/image/layer_manifest.hpp"

namespace ocipfs {

namespace {
// Why `content` is no document of `kind`: an archive (a tarball's CID), said so, or `problem`.
RegistryError not_parsed(DocumentKind kind, const Cid& cid, const std::string& content,
                         const std::string& problem) {
  if (auto archive = recognize_archive(content))
    return not_a_document(kind, cid.to_string(), *archive);
  return invalid_document(kind, cid.to_string(), problem);
}

}  // namespace

Resolution build_image(DocumentKind kind, const Cid& cid, const Content& content) {
  if (!content) return Unexpected{content.error()};
  auto layer = parse_layer_manifest(*content);
  if (!layer) return Unexpected{not_parsed(kind, cid, *content, layer.error())};
  return std::make_shared<const Image>(synthesize_image(cid.to_string(), std::move(*layer)));
}

bool keeps_verbatim_image(const std::string& content) {
  return declared_media_type(content) == verbatim_image_media_type;
}

Expected<ImageDocument, RegistryError> read_image_document(const Cid& cid, const Content& content) {
  if (!content) return Unexpected{content.error()};
  auto document = parse_image_document(*content);
  if (!document)
    return Unexpected{not_parsed(DocumentKind::image, cid, *content, document.error())};
  return std::move(*document);
}

Expected<VerbatimDocument, RegistryError> read_verbatim_document(const Cid& cid,
                                                                 const std::string& content) {
  auto document = parse_verbatim_document(content);
  if (!document)
    return Unexpected{invalid_document(DocumentKind::image, cid.to_string(), document.error())};
  return std::move(*document);
}

Resolution verbatim_resolution(const Cid& cid, const VerbatimDocument& document,
                               const std::map<std::string, std::string>& blobs) {
  auto image = verbatim_image(cid.to_string(), document, blobs);
  if (!image)
    return Unexpected{invalid_document(DocumentKind::image, cid.to_string(), image.error())};
  return std::make_shared<const Image>(std::move(*image));
}

Resolution compose_resolution(const Cid& cid, const ImageDocument& document,
                              const std::vector<Resolution>& layers) {
  std::vector<LayerManifest> manifests;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    if (layers[i]) {
      manifests.push_back((*layers[i])->layer_manifest(0));
      continue;
    }
    RegistryError error = layers[i].error();
    error.message = "layer " + std::to_string(i + 1) + " of image " + cid.to_string() + " (" +
                    document.layers[i].to_string() + "): " + error.message;
    return Unexpected{std::move(error)};
  }
  auto image = compose_image(cid.to_string(), document, std::move(manifests));
  if (!image)
    return Unexpected{invalid_document(DocumentKind::image, cid.to_string(), image.error())};
  return std::make_shared<const Image>(std::move(*image));
}

bool is_cacheable(const Resolution& value) {
  return value.has_value() || value.error().code == ErrorCode::manifest_invalid;
}

std::size_t cache_cost(std::string_view key, const Image& image) {
  // The image shares one allocation with its control block (make_shared).
  return LruCache<ImagePtr>::entry_overhead + key.size() + sizeof(Image) + 32 + image.heap_size();
}

}  // namespace ocipfs
