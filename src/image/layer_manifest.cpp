#include "ocipfs/image/layer_manifest.hpp"

#include <array>

#include "ocipfs/base/digest.hpp"
#include "ocipfs/base/text.hpp"
#include "ocipfs/image/json_fields.hpp"

namespace ocipfs {

namespace {

using namespace json_fields;

constexpr std::uint64_t max_exact_json_integer = (std::uint64_t{1} << 53) - 1;

constexpr std::array<std::string_view, 4> layer_media_types = {
    "application/vnd.oci.image.layer.v1.tar",
    "application/vnd.oci.image.layer.v1.tar+gzip",
    "application/vnd.oci.image.layer.v1.tar+zstd",
    "application/vnd.docker.image.rootfs.diff.tar.gzip",
};

std::string digest_member(const json& object, const char* key, const std::string& where) {
  const std::string& value = string_member(object, key, where);
  if (!is_sha256_digest(value))
    throw JsonInvalid{where + key +
                      " must be \"sha256:\" followed by 64 lowercase hex digits, not " +
                      in_quotes(value)};
  return value;
}

LayerManifest validate(const json& document) {
  if (!document.is_object()) throw JsonInvalid{"the document must be a JSON object"};
  const std::string& media_type = string_member(document, "mediaType", "");
  if (media_type != layer_manifest_media_type)
    throw JsonInvalid{"mediaType must be \"" + std::string(layer_manifest_media_type) + "\", not " +
                      in_quotes(media_type)};

  const json& layer = object_member(document, "layer", "");
  LayerManifest manifest;
  manifest.media_type = string_member(layer, "mediaType", "layer.");
  if (!is_layer_media_type(manifest.media_type))
    throw JsonInvalid{"layer.mediaType " + in_quotes(manifest.media_type) +
                      " is not an OCI layer type"};
  manifest.digest = digest_member(layer, "digest", "layer.");

  const json& size = member(layer, "size", "layer.");
  if (!size.is_number_unsigned() || size.get<std::uint64_t>() > max_exact_json_integer)
    throw JsonInvalid{"layer.size must be a non-negative integer below 2^53, not " +
                      in_quotes(size.dump())};
  manifest.size = size.get<std::uint64_t>();

  const json& annotations = object_member(layer, "annotations", "layer.");
  const std::string where = "layer.annotations.";
  manifest.ipfs_path = string_member(annotations, ipfs_cid_annotation.data(), where);
  auto path = parse_ipfs_path(manifest.ipfs_path);
  if (!path)
    throw JsonInvalid{where + std::string(ipfs_cid_annotation) + " is invalid: " + path.error()};
  manifest.path = std::move(*path);
  manifest.diff_id = digest_member(annotations, fs_digest_annotation.data(), where);

  if (auto it = document.find("platform"); it != document.end())
    manifest.platform = parse_platform(*it, "platform");
  return manifest;
}

}  // namespace

bool is_layer_media_type(std::string_view media_type) {
  return !static_layer_media_type(media_type).empty();
}

std::string_view static_layer_media_type(std::string_view media_type) {
  for (auto known : layer_media_types)
    if (media_type == known) return known;
  return {};
}

Expected<LayerManifest> parse_layer_manifest(std::string_view text) {
  return parse_document<LayerManifest>(text, max_layer_manifest_size, validate);
}

}  // namespace ocipfs
