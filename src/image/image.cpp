#include "ocipfs/image/image.hpp"

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>

#include "ocipfs/base/digest.hpp"

namespace ocipfs {

namespace {

using nlohmann::json;

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

Blob blob_of(std::string bytes) {
  bytes.shrink_to_fit();  // it grew by doubling; an image may be held a long while
  Blob blob{std::move(bytes), {}};
  blob.digest = sha256_digest(blob.bytes);
  return blob;
}

Blob make_blob(const json& document) { return blob_of(document.dump()); }

json platform_json(const Platform& platform) {
  json out = {{"architecture", platform.architecture}, {"os", platform.os}};
  if (!platform.variant.empty()) out["variant"] = platform.variant;
  return out;
}

json config_json(const Image& image, const Platform& platform, const json& container) {
  json config = platform_json(platform);
  config["config"] = container;
  json diff_ids = json::array();
  json history = json::array();
  for (std::size_t i = 0; i < image.layers.size(); ++i) {
    diff_ids.push_back(image.layers[i].diff_id);
    history.push_back({{"created_by", "ocipfs layer/" + image.layer_manifests[i]}});
  }
  config["history"] = std::move(history);
  config["rootfs"] = {{"type", "layers"}, {"diff_ids", std::move(diff_ids)}};
  return config;
}

json layer_descriptor(const LayerManifest& layer) {
  return {
      {"mediaType", layer.media_type},
      {"digest", layer.digest},
      {"size", layer.size},
      {"annotations",
       {{std::string(ipfs_cid_annotation), layer.ipfs_path},
        {std::string(fs_digest_annotation), layer.diff_id}}},
  };
}

json manifest_json(const std::vector<LayerManifest>& layers, const Blob& config) {
  json descriptors = json::array();
  for (const auto& layer : layers) descriptors.push_back(layer_descriptor(layer));
  json manifest = {
      {"schemaVersion", 2},
      {"mediaType", oci_manifest_media_type},
      {"config",
       {{"mediaType", oci_config_media_type},
        {"digest", config.digest},
        {"size", config.bytes.size()}}},
      {"layers", std::move(descriptors)},
  };
  return manifest;
}

// The JSON text of `strings` as a dump of it writes it, without making it a JSON value first;
// empty when there are none.
std::string object_text(const std::map<std::string, std::string>& strings) {
  if (strings.empty()) return {};
  std::string out = "{";
  for (const auto& [key, value] : strings) {
    if (out.size() > 1) out += ',';
    out.append(json(key).dump()).append(":").append(json(value).dump());
  }
  return out + "}";
}

// The manifest's text, with `annotations_text` (the annotations as JSON text, or empty) as its
// first member, where the sorted keys of a dump put "annotations": the text is written once for
// every platform, not made again from a map of thousands of entries each time.
std::string manifest_text(const std::vector<LayerManifest>& layers, const Blob& config,
                          const std::string& annotations_text) {
  std::string rest = manifest_json(layers, config).dump();
  if (annotations_text.empty()) return rest;
  std::string out;
  out.reserve(rest.size() + annotations_text.size() + 16);
  out.append("{\"annotations\":").append(annotations_text).append(",").append(rest, 1);
  return out;
}

json index_json(const std::vector<PlatformImage>& platforms) {
  json manifests = json::array();
  for (const auto& image : platforms) {
    manifests.push_back({{"mediaType", oci_manifest_media_type},
                         {"digest", image.manifest.digest},
                         {"size", image.manifest.bytes.size()},
                         {"platform", platform_json(image.platform)}});
  }
  return {{"schemaVersion", 2}, {"mediaType", oci_index_media_type}, {"manifests", manifests}};
}

std::vector<Platform> platforms_of(const std::optional<Platform>& declared) {
  if (declared) return {*declared};
  return {all_platforms.begin(), all_platforms.end()};
}

void add_platforms(Image& image, const std::vector<Platform>& platforms, const json& container,
                   const std::map<std::string, std::string>& annotations) {
  const std::string annotations_text = object_text(annotations);
  for (const auto& platform : platforms) {
    Blob config = make_blob(config_json(image, platform, container));
    Blob manifest = blob_of(manifest_text(image.layers, config, annotations_text));
    image.platforms.push_back({platform, std::move(config), std::move(manifest)});
  }
  image.index = make_blob(index_json(image.platforms));
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
  add_platforms(image, platforms_of(only.platform), json::object(), {});
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
  add_platforms(image, platforms_of(*platform), json::parse(container_config_json(document.config)),
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
