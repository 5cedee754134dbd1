#include "ocipfs/publish/image_source_json.hpp"

#include <algorithm>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "ocipfs/base/digest.hpp"
#include "ocipfs/base/text.hpp"
#include "ocipfs/image/image.hpp"
#include "ocipfs/image/json_fields.hpp"
#include "ocipfs/image/repository.hpp"
#include "ocipfs/publish/layer_tarball.hpp"

namespace ocipfs {

namespace {

using json = nlohmann::json;
using json_fields::JsonInvalid;

template <class T, class Validate>
Expected<T> parse_json(std::string_view text, Validate validate) {
  return json_fields::parse_document<T>(text, max_verbatim_blob_size, validate);
}

BlobDescriptor read_descriptor(const json& value, const std::string& where) {
  if (!value.is_object()) throw JsonInvalid{where + " must be an object"};
  BlobDescriptor out;
  if (auto it = value.find("mediaType"); it != value.end()) {
    if (!it->is_string()) throw JsonInvalid{where + ".mediaType must be a string"};
    out.media_type = it->get<std::string>();
  }
  const json& digest = json_fields::member(value, "digest", where + ".");
  if (!digest.is_string() || !is_sha256_digest(digest.get_ref<const std::string&>()))
    throw JsonInvalid{where + ".digest must be \"sha256:\" and 64 lowercase hex digits, not " +
                      in_quotes(digest.dump(), 90)};
  out.digest = digest.get<std::string>();
  const json& size = json_fields::member(value, "size", where + ".");
  if (!size.is_number_unsigned()) throw JsonInvalid{where + ".size must be a non-negative integer"};
  out.size = size.get<std::uint64_t>();
  return out;
}

const json& array_member(const json& object, const char* key, const std::string& where) {
  if (!object.is_object()) throw JsonInvalid{"the document must be a JSON object"};
  const json& value = json_fields::member(object, key, where);
  if (!value.is_array()) throw JsonInvalid{where + key + " must be an array"};
  return value;
}

std::string ref_name_of(const json& entry) {
  auto annotations = entry.find("annotations");
  if (annotations == entry.end() || !annotations->is_object()) return {};
  auto name = annotations->find(oci_ref_name_annotation);
  return name != annotations->end() && name->is_string() ? name->get<std::string>() : "";
}

std::string listed(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : ", ") + in_quotes(name, 80);
  return out.empty() ? "none" : out;
}

LayoutEntry pick_layout_entry(const json& index, std::string_view ref) {
  const json& manifests = array_member(index, "manifests", "");
  if (manifests.empty()) throw JsonInvalid{"it lists no image (manifests is empty)"};
  std::vector<LayoutEntry> entries;
  std::vector<std::string> refs;
  for (std::size_t i = 0; i < manifests.size(); ++i) {
    std::string where = "manifests[" + std::to_string(i) + "]";
    entries.push_back({read_descriptor(manifests[i], where), ref_name_of(manifests[i])});
    refs.push_back(entries.back().ref_name);
  }
  if (ref.empty()) {
    if (entries.size() == 1) return entries.front();
    throw JsonInvalid{"it lists " + std::to_string(entries.size()) +
                      " images: choose one with SOURCE:REF (refs: " + listed(refs) + ")"};
  }
  for (const auto& entry : entries)
    if (entry.ref_name == ref) return entry;
  throw JsonInvalid{"it has no image with the ref " + in_quotes(ref, 80) +
                    " (refs: " + listed(refs) + ")"};
}

ManifestBlobs read_manifest_blobs(const json& manifest) {
  const json& layers = array_member(manifest, "layers", "");
  ManifestBlobs out;
  out.config = read_descriptor(json_fields::member(manifest, "config", ""), "config");
  if (layers.size() > max_import_layers)
    throw JsonInvalid{"it lists " + std::to_string(layers.size()) + " layers; at most " +
                      std::to_string(max_import_layers) + " are allowed (containerd's limit)"};
  for (std::size_t i = 0; i < layers.size(); ++i)
    out.layers.push_back(read_descriptor(layers[i], "layers[" + std::to_string(i) + "]"));
  return out;
}

std::vector<BlobDescriptor> read_index_entries(const json& index) {
  const json& manifests = array_member(index, "manifests", "");
  std::vector<BlobDescriptor> out;
  for (std::size_t i = 0; i < manifests.size(); ++i) {
    std::string where = "manifests[" + std::to_string(i) + "]";
    out.push_back(read_descriptor(manifests[i], where));
    if (!is_verbatim_manifest_type(out.back().media_type))
      throw JsonInvalid{where + ".mediaType " + in_quotes(out.back().media_type, 80) +
                        " is not an OCI or Docker image index or manifest"};
  }
  return out;
}

std::string tag_of_repo_tag(const std::string& repo_tag) {
  auto colon = repo_tag.rfind(':');
  if (colon == std::string::npos || repo_tag.find('/', colon) != std::string::npos) return {};
  std::string tag = repo_tag.substr(colon + 1);
  return is_tag(tag) ? tag : "";
}

DockerSaveImage read_docker_entry(const json& entry, const std::string& where) {
  if (!entry.is_object()) throw JsonInvalid{where + " must be an object"};
  DockerSaveImage out;
  out.config_path = json_fields::string_member(entry, "Config", where + ".");
  const json& layers = array_member(entry, "Layers", where + ".");
  if (layers.size() > max_import_layers)
    throw JsonInvalid{where + " lists " + std::to_string(layers.size()) + " layers; at most " +
                      std::to_string(max_import_layers) + " are allowed (containerd's limit)"};
  for (const auto& layer : layers) {
    if (!layer.is_string()) throw JsonInvalid{where + ".Layers must hold strings"};
    out.layer_paths.push_back(layer.get<std::string>());
  }
  return out;
}

std::vector<std::string> repo_tags_of(const json& entry) {
  std::vector<std::string> tags;
  auto it = entry.find("RepoTags");
  if (it == entry.end() || !it->is_array()) return tags;
  for (const auto& tag : *it)
    if (tag.is_string()) tags.push_back(tag.get<std::string>());
  return tags;
}

DockerSaveImage pick_docker_entry(const json& manifest, std::string_view ref) {
  if (!manifest.is_array() || manifest.empty())
    throw JsonInvalid{"it must be a non-empty array of images"};
  std::vector<std::string> all;
  for (std::size_t i = 0; i < manifest.size(); ++i) {
    auto tags = manifest[i].is_object() ? repo_tags_of(manifest[i]) : std::vector<std::string>{};
    bool chosen =
        ref.empty() ? manifest.size() == 1 : std::find(tags.begin(), tags.end(), ref) != tags.end();
    if (chosen) {
      DockerSaveImage image = read_docker_entry(manifest[i], "[" + std::to_string(i) + "]");
      if (!tags.empty()) image.tag = tag_of_repo_tag(tags.front());
      return image;
    }
    all.insert(all.end(), tags.begin(), tags.end());
  }
  if (ref.empty())
    throw JsonInvalid{"it holds " + std::to_string(manifest.size()) +
                      " images: choose one with SOURCE:REF (RepoTags: " + listed(all) + ")"};
  throw JsonInvalid{"it has no image tagged " + in_quotes(ref, 80) + " (RepoTags: " + listed(all) +
                    ")"};
}

}  // namespace

Expected<LayoutEntry> choose_layout_entry(std::string_view index_json, std::string_view ref) {
  return parse_json<LayoutEntry>(index_json,
                                 [&](const json& index) { return pick_layout_entry(index, ref); });
}

Expected<ManifestBlobs> parse_manifest_blobs(std::string_view manifest_json) {
  return parse_json<ManifestBlobs>(manifest_json, read_manifest_blobs);
}

Expected<std::vector<BlobDescriptor>> parse_index_entries(std::string_view index_json) {
  return parse_json<std::vector<BlobDescriptor>>(index_json, read_index_entries);
}

Platform config_platform(std::string_view config_json) {
  Platform platform;
  if (config_json.size() > max_verbatim_blob_size ||
      json_fields::nests_deeper_than(config_json, 64))
    return platform;
  json config = json::parse(config_json, nullptr, false);
  if (!config.is_object()) return platform;
  auto text = [&](const char* key) {
    auto it = config.find(key);
    return it != config.end() && it->is_string() ? it->get<std::string>() : "";
  };
  platform.os = text("os");
  platform.architecture = text("architecture");
  platform.variant = text("variant");
  return platform;
}

Expected<std::vector<std::string>> config_diff_ids(std::string_view config_json) {
  return parse_json<std::vector<std::string>>(config_json, [](const json& config) {
    if (!config.is_object()) throw JsonInvalid{"the config must be a JSON object"};
    const json& rootfs = json_fields::object_member(config, "rootfs", "");
    const json& ids = array_member(rootfs, "diff_ids", "rootfs.");
    std::vector<std::string> out;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (!ids[i].is_string() || !is_sha256_digest(ids[i].get_ref<const std::string&>()))
        throw JsonInvalid{"rootfs.diff_ids[" + std::to_string(i) + "] must be a sha256 digest"};
      out.push_back(ids[i].get<std::string>());
    }
    return out;
  });
}

Expected<DockerSaveImage> parse_docker_save_manifest(std::string_view manifest_json,
                                                     std::string_view ref) {
  return parse_json<DockerSaveImage>(
      manifest_json, [&](const json& manifest) { return pick_docker_entry(manifest, ref); });
}

std::string docker_save_manifest(const BlobDescriptor& config,
                                 const std::vector<BlobDescriptor>& layers) {
  json out = json::object();
  out["schemaVersion"] = 2;
  out["mediaType"] = oci_manifest_media_type;
  out["config"] = {
      {"mediaType", oci_config_media_type}, {"digest", config.digest}, {"size", config.size}};
  out["layers"] = json::array();
  for (const auto& layer : layers)
    out["layers"].push_back(
        {{"mediaType", oci_layer_tar}, {"digest", layer.digest}, {"size", layer.size}});
  return out.dump();
}

}  // namespace ocipfs
