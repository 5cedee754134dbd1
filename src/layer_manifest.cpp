#include "ocipfs/layer_manifest.hpp"

#include <array>
#include <nlohmann/json.hpp>

#include "ocipfs/digest.hpp"
#include "ocipfs/text.hpp"

namespace ocipfs {

namespace {

using nlohmann::json;

constexpr std::uint64_t max_exact_json_integer = (std::uint64_t{1} << 53) - 1;
// No layer manifest nests deeper. Deeper text is refused before parsing: 1 MiB of "[" would have
// the parser build, then free, a million arrays (over a second of CPU on a server thread).
constexpr std::size_t max_json_depth = 64;

constexpr std::array<std::string_view, 4> layer_media_types = {
    "application/vnd.oci.image.layer.v1.tar",
    "application/vnd.oci.image.layer.v1.tar+gzip",
    "application/vnd.oci.image.layer.v1.tar+zstd",
    "application/vnd.docker.image.rootfs.diff.tar.gzip",
};

struct Invalid {
  std::string message;
};

const json& member(const json& object, const char* key, const std::string& where) {
  auto it = object.find(key);
  if (it == object.end()) throw Invalid{where + key + " is missing"};
  return *it;
}

const std::string& string_member(const json& object, const char* key, const std::string& where) {
  const json& value = member(object, key, where);
  if (!value.is_string()) throw Invalid{where + key + " must be a string"};
  return value.get_ref<const std::string&>();
}

const json& object_member(const json& object, const char* key, const std::string& where) {
  const json& value = member(object, key, where);
  if (!value.is_object()) throw Invalid{where + key + " must be an object"};
  return value;
}

std::string digest_member(const json& object, const char* key, const std::string& where) {
  const std::string& value = string_member(object, key, where);
  if (!is_sha256_digest(value))
    throw Invalid{where + key + " must be \"sha256:\" followed by 64 lowercase hex digits, not " +
                  in_quotes(value)};
  return value;
}

bool is_platform_word(std::string_view word) {
  if (word.empty() || word.size() > 32) return false;
  for (char c : word)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'))
      return false;
  return true;
}

Platform parse_platform(const json& value) {
  if (!value.is_object()) throw Invalid{"platform must be an object"};
  Platform platform;
  platform.os = string_member(value, "os", "platform.");
  platform.architecture = string_member(value, "architecture", "platform.");
  if (value.contains("variant")) platform.variant = string_member(value, "variant", "platform.");
  for (const auto* word : {&platform.os, &platform.architecture, &platform.variant}) {
    if (word == &platform.variant && word->empty()) continue;
    if (!is_platform_word(*word))
      throw Invalid{"platform has an invalid value " + in_quotes(*word) +
                    " (lowercase letters, digits, '_', '-', '.'; at most 32)"};
  }
  return platform;
}

// True when arrays and objects in `text` nest deeper than `limit` (brackets in strings aside).
bool nests_deeper_than(std::string_view text, std::size_t limit) {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return true;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

LayerManifest validate(const json& document) {
  if (!document.is_object()) throw Invalid{"the document must be a JSON object"};
  const std::string& media_type = string_member(document, "mediaType", "");
  if (media_type != layer_manifest_media_type)
    throw Invalid{"mediaType must be \"" + std::string(layer_manifest_media_type) + "\", not " +
                  in_quotes(media_type)};

  const json& layer = object_member(document, "layer", "");
  LayerManifest manifest;
  manifest.media_type = string_member(layer, "mediaType", "layer.");
  if (!is_layer_media_type(manifest.media_type))
    throw Invalid{"layer.mediaType " + in_quotes(manifest.media_type) +
                  " is not an OCI layer type"};
  manifest.digest = digest_member(layer, "digest", "layer.");

  const json& size = member(layer, "size", "layer.");
  if (!size.is_number_unsigned() || size.get<std::uint64_t>() > max_exact_json_integer)
    throw Invalid{"layer.size must be a non-negative integer below 2^53, not " +
                  in_quotes(size.dump())};
  manifest.size = size.get<std::uint64_t>();

  const json& annotations = object_member(layer, "annotations", "layer.");
  const std::string where = "layer.annotations.";
  manifest.ipfs_path = string_member(annotations, ipfs_cid_annotation.data(), where);
  auto path = parse_ipfs_path(manifest.ipfs_path);
  if (!path)
    throw Invalid{where + std::string(ipfs_cid_annotation) + " is invalid: " + path.error()};
  manifest.path = std::move(*path);
  manifest.diff_id = digest_member(annotations, fs_digest_annotation.data(), where);

  if (auto it = document.find("platform"); it != document.end())
    manifest.platform = parse_platform(*it);
  return manifest;
}

}  // namespace

bool is_layer_media_type(std::string_view media_type) {
  for (auto known : layer_media_types)
    if (media_type == known) return true;
  return false;
}

Expected<LayerManifest> parse_layer_manifest(std::string_view text) {
  if (text.size() > max_layer_manifest_size)
    return Unexpected{std::string("it is larger than 1 MiB")};
  if (nests_deeper_than(text, max_json_depth))
    return Unexpected{"it nests arrays and objects deeper than " + std::to_string(max_json_depth)};
  json document = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) return Unexpected{std::string("it is not valid JSON")};
  try {
    return validate(document);
  } catch (const Invalid& invalid) {
    return Unexpected{invalid.message};
  } catch (const json::exception& error) {
    return Unexpected{std::string("it could not be read: ") + error.what()};
  }
}

}  // namespace ocipfs
