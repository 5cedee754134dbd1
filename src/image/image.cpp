#include "ocipfs/image/image.hpp"

#include <algorithm>
#include <array>

#include "ocipfs/base/digest.hpp"
#include "ocipfs/image/document_writer.hpp"

namespace ocipfs {

namespace {

const std::array<Platform, 8> all_platforms = {{
    {"linux", "amd64", ""},
    {"linux", "arm64", "v8"},
    {"linux", "arm", "v7"},
    {"linux", "arm", "v6"},
    {"linux", "386", ""},
    {"linux", "ppc64le", ""},
    {"linux", "s390x", ""},
    {"linux", "riscv64", ""},
}};

// A document of rendered `bytes`, and its facts as other documents name it.
Blob blob_of(std::string bytes, DocumentFacts& facts) {
  bytes.shrink_to_fit();  // it grew by doubling; an image may be held a long while
  facts = {sha256(bytes), bytes.size()};
  Blob blob{std::move(bytes), {}};
  append_sha256_digest(blob.digest, facts.digest);
  return blob;
}

// The facts of the image's layers, as views into it; digests validated by the layer manifest.
std::vector<ImageLayer> image_layers(const Image& image) {
  std::vector<ImageLayer> facts;
  for (std::size_t i = 0; i < image.layers.size(); ++i) {
    const LayerManifest& layer = image.layers[i];
    facts.push_back({layer.media_type, sha256_of_digest(layer.digest).value_or(Sha256{}),
                     layer.size, layer.ipfs_path,
                     sha256_of_digest(layer.diff_id).value_or(Sha256{}), image.layer_manifests[i]});
  }
  return facts;
}

std::vector<Platform> platforms_of(const std::optional<Platform>& declared) {
  if (declared) return {*declared};
  return {all_platforms.begin(), all_platforms.end()};
}

void add_platforms(Image& image, const std::vector<Platform>& platforms,
                   std::string_view container_config,
                   const std::map<std::string, std::string>& annotations) {
  std::string annotations_text;
  append_string_object(annotations_text, annotations);
  const std::vector<ImageLayer> layers = image_layers(image);
  std::vector<IndexEntry> entries(platforms.size());
  for (std::size_t i = 0; i < platforms.size(); ++i) {
    DocumentFacts config_facts;
    std::string text;
    append_image_config(text, platforms[i], container_config, layers);
    Blob config = blob_of(std::move(text), config_facts);
    text.clear();
    append_image_manifest(text, annotations_text, config_facts, layers);
    Blob manifest = blob_of(std::move(text), entries[i].manifest);
    image.platforms.push_back({platforms[i], std::move(config), std::move(manifest)});
  }
  for (std::size_t i = 0; i < platforms.size(); ++i)
    entries[i].platform = &image.platforms[i].platform;
  std::string index;
  append_image_index(index, entries);
  DocumentFacts index_facts;
  image.index = blob_of(std::move(index), index_facts);
}

// Adds `tag` unless it is empty, not a tag, or latest (which every image has).
void add_tag(Image& image, std::string_view tag) {
  if (is_tag(tag) && tag != "latest") image.tags.emplace_back(tag);
  std::sort(image.tags.begin(), image.tags.end());
}

}  // namespace

std::span<const Platform> default_platforms() { return all_platforms; }

Image synthesize_image(std::string cid, LayerManifest layer) {
  Image image;
  image.cid = cid;
  image.layers.push_back(std::move(layer));
  image.layer_manifests.push_back(std::move(cid));
  image.tags.emplace_back("latest");
  const LayerManifest& only = image.layers.front();
  add_platforms(image, platforms_of(only.platform), "{}", {});
  std::string_view file_name = only.path.file_name();
  add_tag(image, file_name);
  return image;
}

Expected<std::optional<Platform>> image_platform(const ImageDocument& document,
                                                 const std::vector<LayerManifest>& layers) {
  std::optional<Platform> agreed = document.platform;
  std::string agreed_by = "the image document";
  for (std::size_t i = 0; i < layers.size(); ++i) {
    if (!layers[i].platform) continue;
    std::string layer =
        "layer " + std::to_string(i + 1) + " (" + document.layers[i].to_string() + ")";
    if (agreed && *agreed != *layers[i].platform)
      return Unexpected{layer + " is for " + platform_text(*layers[i].platform) + " but " +
                        agreed_by + " is for " + platform_text(*agreed)};
    if (!agreed) {
      agreed = layers[i].platform;
      agreed_by = layer;
    }
  }
  return agreed;
}

Expected<Image> compose_image(std::string cid, const ImageDocument& document,
                              std::vector<LayerManifest> layers) {
  auto platform = image_platform(document, layers);
  if (!platform) return Unexpected{platform.error()};
  Image image;
  image.cid = std::move(cid);
  image.layers = std::move(layers);
  image.tags.emplace_back("latest");
  for (const auto& layer : document.layers) image.layer_manifests.push_back(layer.to_string());
  add_platforms(image, platforms_of(*platform), container_config_json(document.config),
                document.annotations);
  add_tag(image, document.tag);
  return image;
}

const Blob* Image::manifest_by_digest(std::string_view digest) const {
  if (has_index() && digest == index.digest) return &index;
  for (const auto& nested : nested_indexes)
    if (nested.digest == digest) return &nested;
  for (const auto& image : platforms)
    if (image.manifest.digest == digest) return &image.manifest;
  return nullptr;
}

const Blob* Image::config_by_digest(std::string_view digest) const {
  for (const auto& image : platforms)
    if (image.config.digest == digest) return &image.config;
  return nullptr;
}

const LayerManifest* Image::layer_by_digest(std::string_view digest) const {
  for (const auto& layer : layers)
    if (layer.digest == digest) return &layer;
  return nullptr;
}

bool Image::has_tag(std::string_view tag) const {
  return std::find(tags.begin(), tags.end(), tag) != tags.end();
}

}  // namespace ocipfs
