#include "ocipfs/image.hpp"

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>

#include "ocipfs/digest.hpp"

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

Blob make_blob(const json& document) {
  Blob blob{document.dump(), {}};
  blob.digest = sha256_digest(blob.bytes);
  return blob;
}

json platform_json(const Platform& platform) {
  json out = {{"architecture", platform.architecture}, {"os", platform.os}};
  if (!platform.variant.empty()) out["variant"] = platform.variant;
  return out;
}

json config_json(const std::string& cid, const std::vector<LayerManifest>& layers,
                 const Platform& platform) {
  json config = platform_json(platform);
  config["config"] = json::object();
  json diff_ids = json::array();
  for (const auto& layer : layers) diff_ids.push_back(layer.diff_id);
  config["history"] = json::array({{{"created_by", "ocipfs layer/" + cid}}});
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
  return {
      {"schemaVersion", 2},
      {"mediaType", oci_manifest_media_type},
      {"config",
       {{"mediaType", oci_config_media_type},
        {"digest", config.digest},
        {"size", config.bytes.size()}}},
      {"layers", std::move(descriptors)},
  };
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

}  // namespace

std::span<const Platform> default_platforms() { return all_platforms; }

bool is_tag(std::string_view text) {
  if (text.empty() || text.size() > 128) return false;
  auto word = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  };
  if (!word(text.front())) return false;
  return std::all_of(text.begin() + 1, text.end(),
                     [&](char c) { return word(c) || c == '.' || c == '-'; });
}

Image synthesize_image(std::string cid, LayerManifest layer) {
  Image image{std::move(cid), {std::move(layer)}, {}, {}, {"latest"}};
  const LayerManifest& only = image.layers.front();
  std::vector<Platform> platforms;
  if (only.platform) {
    platforms.push_back(*only.platform);
  } else {
    platforms.assign(all_platforms.begin(), all_platforms.end());
  }
  for (const auto& platform : platforms) {
    Blob config = make_blob(config_json(image.cid, image.layers, platform));
    Blob manifest = make_blob(manifest_json(image.layers, config));
    image.platforms.push_back({platform, std::move(config), std::move(manifest)});
  }
  image.index = make_blob(index_json(image.platforms));

  std::string_view file_name = only.path.file_name();
  if (is_tag(file_name) && file_name != "latest") image.tags.emplace_back(file_name);
  std::sort(image.tags.begin(), image.tags.end());
  return image;
}

const Blob* Image::manifest_by_digest(std::string_view digest) const {
  if (digest == index.digest) return &index;
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
