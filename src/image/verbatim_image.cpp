#include "ocipfs/image/verbatim_image.hpp"

#include <algorithm>
#include <array>

#include "ocipfs/base/digest.hpp"
#include "ocipfs/base/text.hpp"
#include "ocipfs/image/image.hpp"
#include "ocipfs/image/json_fields.hpp"
#include "ocipfs/image/repository.hpp"

namespace ocipfs {

namespace {

using namespace json_fields;

constexpr std::array<std::string_view, 4> manifest_types = {
    oci_index_media_type, oci_manifest_media_type, docker_manifest_list_media_type,
    docker_manifest_media_type};

std::string checked_digest(const json& value, const std::string& where) {
  if (!value.is_string()) throw JsonInvalid{where + " must be a string"};
  const auto& digest = value.get_ref<const std::string&>();
  if (!is_sha256_digest(digest))
    throw JsonInvalid{where + " must be \"sha256:\" followed by 64 lowercase hex digits, not " +
                      in_quotes(digest)};
  return digest;
}

VerbatimDescriptor read_descriptor(const json& value) {
  if (!value.is_object()) throw JsonInvalid{"manifest must be an object"};
  VerbatimDescriptor descriptor;
  descriptor.media_type = string_member(value, "mediaType", "manifest.");
  if (!is_verbatim_manifest_type(descriptor.media_type))
    throw JsonInvalid{"manifest.mediaType " + in_quotes(descriptor.media_type) +
                      " is not an OCI or Docker image index or manifest"};
  descriptor.digest = checked_digest(member(value, "digest", "manifest."), "manifest.digest");
  const json& size = member(value, "size", "manifest.");
  if (!size.is_number_unsigned() || size.get<std::uint64_t>() > max_verbatim_blob_size)
    throw JsonInvalid{"manifest.size must be an integer from 0 to " +
                      std::to_string(max_verbatim_blob_size) + ", not " +
                      in_quotes(size.dump(), 40)};
  descriptor.size = size.get<std::uint64_t>();
  return descriptor;
}

std::map<std::string, std::string> read_layers(const json& value) {
  if (!value.is_object()) throw JsonInvalid{"layers must be an object"};
  if (value.size() > max_verbatim_layers)
    throw JsonInvalid{"layers has " + std::to_string(value.size()) + " entries; at most " +
                      std::to_string(max_verbatim_layers) + " are allowed"};
  std::map<std::string, std::string> layers;
  for (const auto& [digest, path] : value.items()) {
    const std::string where = "layers[" + in_quotes(digest, 80) + "]";
    if (!is_sha256_digest(digest))
      throw JsonInvalid{"layers has a key that is no sha256 digest: " + in_quotes(digest, 80)};
    if (!path.is_string()) throw JsonInvalid{where + " must be a string"};
    auto parsed = parse_ipfs_path(path.get_ref<const std::string&>());
    if (!parsed) throw JsonInvalid{where + " is not an IPFS path: " + parsed.error()};
    layers[digest] = path.get<std::string>();
  }
  return layers;
}

VerbatimDocument validate(const json& document) {
  if (!document.is_object()) throw JsonInvalid{"the document must be a JSON object"};
  const std::string& media_type = string_member(document, "mediaType", "");
  if (media_type != verbatim_image_media_type)
    throw JsonInvalid{"mediaType must be \"" + std::string(verbatim_image_media_type) + "\", not " +
                      in_quotes(media_type)};
  VerbatimDocument out;
  out.manifest = read_descriptor(member(document, "manifest", ""));
  out.layers = read_layers(member(document, "layers", ""));
  if (auto it = document.find("tag"); it != document.end()) {
    if (!it->is_string()) throw JsonInvalid{"tag must be a string"};
    out.tag = it->get<std::string>();
    if (!is_tag(out.tag))
      throw JsonInvalid{"tag must be an OCI tag ([A-Za-z0-9_][A-Za-z0-9._-]{0,127}), not " +
                        in_quotes(out.tag)};
  }
  return out;
}

constexpr std::uint64_t max_exact_json_integer = (std::uint64_t{1} << 53) - 1;

// An OCI descriptor inside a manifest or an index; `where` names it, e.g. "manifest sha256:..
// layers[2]".
VerbatimDescriptor read_linked(const json& value, const std::string& where) {
  if (!value.is_object()) throw JsonInvalid{where + " must be an object"};
  VerbatimDescriptor out;
  out.media_type = string_member(value, "mediaType", where + ".");
  out.digest = checked_digest(member(value, "digest", where + "."), where + ".digest");
  const json& size = member(value, "size", where + ".");
  if (!size.is_number_unsigned() || size.get<std::uint64_t>() > max_exact_json_integer)
    throw JsonInvalid{where + ".size must be a non-negative integer below 2^53"};
  out.size = size.get<std::uint64_t>();
  return out;
}

const json& array_member(const json& object, const char* key, const std::string& where) {
  const json& value = member(object, key, where + ".");
  if (!value.is_array()) throw JsonInvalid{where + "." + key + " must be an array"};
  return value;
}

// A manifest, index or config: one JSON object, with no key twice.
json parse_object(const std::string& what, std::string_view bytes) {
  auto out = parse_json(bytes);
  if (!out) throw JsonInvalid{what + " could not be read: " + out.error()};
  if (!out->is_object()) throw JsonInvalid{what + " is not a JSON object"};
  return std::move(*out);
}

json parse_blob(const VerbatimDescriptor& descriptor, std::string_view bytes) {
  return parse_object(descriptor.media_type + " " + descriptor.digest, bytes);
}

std::string name_of(const VerbatimDescriptor& descriptor) {
  return (is_index_media_type(descriptor.media_type) ? "index " : "manifest ") + descriptor.digest;
}

std::vector<VerbatimDescriptor> links(const VerbatimDescriptor& of, std::string_view bytes) {
  if (!is_verbatim_manifest_type(of.media_type)) return {};  // a config
  json blob = parse_blob(of, bytes);
  const std::string where = name_of(of);
  std::vector<VerbatimDescriptor> out;
  if (is_index_media_type(of.media_type)) {
    const json& entries = array_member(blob, "manifests", where);
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const std::string entry = where + " manifests[" + std::to_string(i) + "]";
      out.push_back(read_linked(entries[i], entry));
      if (!is_verbatim_manifest_type(out.back().media_type))
        throw JsonInvalid{entry + " has the media type " + in_quotes(out.back().media_type) +
                          ", not an image manifest or index"};
    }
    return out;
  }
  out.push_back(read_linked(member(blob, "config", where + "."), where + " config"));
  return out;
}

Platform platform_of_config(const std::string& digest, std::string_view bytes) {
  json config = parse_object("config " + digest, bytes);
  Platform platform;
  auto text = [&](const char* key) {
    auto it = config.find(key);
    return it != config.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  platform.os = text("os");
  platform.architecture = text("architecture");
  platform.variant = text("variant");
  return platform;
}

const std::string& bytes_of(const std::map<std::string, std::string>& documents,
                            const std::string& digest) {
  auto it = documents.find(digest);
  if (it == documents.end()) throw JsonInvalid{digest + " was not fetched"};
  return it->second;
}

// What a verbatim image is gathered into before it is built: its documents, as they came.
struct Gathered {
  struct Kept {
    std::string digest;
    std::string_view bytes;  // in the documents the image is built from
    std::string media_type;
  };
  struct PlatformManifest {
    Platform platform;
    Kept manifest, config;
  };
  std::vector<Kept> indexes;  // the top one first, if the top is one
  std::vector<PlatformManifest> manifests;
  std::vector<LayerManifest> layers;
};

// Adds the manifest `descriptor` names, its config and its layers to `image`.
void add_manifest(Gathered& image, const VerbatimDocument& document,
                  const std::map<std::string, std::string>& documents,
                  const VerbatimDescriptor& descriptor, const std::optional<Platform>& platform) {
  const std::string& bytes = bytes_of(documents, descriptor.digest);
  json manifest = parse_blob(descriptor, bytes);
  const std::string where = name_of(descriptor);
  VerbatimDescriptor config =
      read_linked(member(manifest, "config", where + "."), where + " config");
  const json& layers = array_member(manifest, "layers", where);
  if (layers.size() > max_image_layers)
    throw JsonInvalid{where + " has " + std::to_string(layers.size()) + " layers; at most " +
                      std::to_string(max_image_layers) + " are served"};
  for (std::size_t i = 0; i < layers.size(); ++i) {
    VerbatimDescriptor layer = read_linked(layers[i], where + " layers[" + std::to_string(i) + "]");
    auto path = document.layers.find(layer.digest);
    if (path == document.layers.end())
      throw JsonInvalid{where + " names the layer " + layer.digest +
                        ", which the document gives no IPFS path"};
    auto known =
        std::find_if(image.layers.begin(), image.layers.end(),
                     [&](const LayerManifest& each) { return each.digest == layer.digest; });
    if (known != image.layers.end()) continue;
    image.layers.push_back({layer.media_type,
                            layer.digest,
                            layer.size,
                            path->second,
                            *parse_ipfs_path(path->second),
                            {},
                            std::nullopt});
  }
  if (image.manifests.size() == max_verbatim_manifests)
    throw JsonInvalid{"the image has more than " + std::to_string(max_verbatim_manifests) +
                      " manifests"};
  const std::string& config_bytes = bytes_of(documents, config.digest);
  image.manifests.push_back({platform.value_or(platform_of_config(config.digest, config_bytes)),
                             {descriptor.digest, bytes, descriptor.media_type},
                             {config.digest, config_bytes, config.media_type}});
}

// Puts a linux/amd64 manifest first: the one for clients that take no index.
void amd64_first(Gathered& image) {
  auto amd64 = std::find_if(image.manifests.begin(), image.manifests.end(), [](const auto& p) {
    return p.platform.os == "linux" && p.platform.architecture == "amd64";
  });
  if (amd64 != image.manifests.end()) std::rotate(image.manifests.begin(), amd64, amd64 + 1);
}

// Adds every manifest under the index `descriptor` names (nested indexes too) to `image`.
void add_index(Gathered& image, const VerbatimDocument& document,
               const std::map<std::string, std::string>& documents,
               const VerbatimDescriptor& descriptor, int depth) {
  const std::string& bytes = bytes_of(documents, descriptor.digest);
  json index = parse_blob(descriptor, bytes);
  const json& entries = array_member(index, "manifests", name_of(descriptor));
  std::vector<VerbatimDescriptor> children = links(descriptor, bytes);
  for (std::size_t i = 0; i < children.size(); ++i) {
    if (is_index_media_type(children[i].media_type)) {
      if (depth >= 2) throw JsonInvalid{name_of(descriptor) + " nests indexes deeper than 2"};
      const VerbatimDescriptor& nested = children[i];
      image.indexes.push_back(
          {nested.digest, bytes_of(documents, nested.digest), nested.media_type});
      add_index(image, document, documents, nested, depth + 1);
      continue;
    }
    std::optional<Platform> platform;
    if (auto it = entries[i].find("platform"); it != entries[i].end())
      platform = parse_platform(
          *it, name_of(descriptor) + " manifests[" + std::to_string(i) + "].platform");
    add_manifest(image, document, documents, children[i], platform);
  }
}

Image build_verbatim(std::string cid, const VerbatimDocument& document,
                     const std::map<std::string, std::string>& documents) {
  Gathered gathered;
  const VerbatimDescriptor& top = document.manifest;
  if (is_index_media_type(top.media_type)) {
    gathered.indexes.push_back({top.digest, bytes_of(documents, top.digest), top.media_type});
    add_index(gathered, document, documents, top, 1);
  } else {
    add_manifest(gathered, document, documents, top, std::nullopt);
  }
  if (gathered.manifests.empty()) throw JsonInvalid{name_of(top) + " lists no manifest"};
  amd64_first(gathered);
  ImageBuilder builder(cid);
  builder.add_tag(document.tag);
  for (const auto& layer : gathered.layers) builder.add_layer(layer, {});
  for (const auto& index : gathered.indexes)
    builder.add_kept(DocumentRole::index, 0, index.digest, index.bytes, index.media_type);
  for (std::size_t i = 0; i < gathered.manifests.size(); ++i) {
    const auto& each = gathered.manifests[i];
    auto platform = static_cast<std::uint32_t>(i);
    builder.add_kept(DocumentRole::manifest, platform, each.manifest.digest, each.manifest.bytes,
                     each.manifest.media_type);
    builder.add_kept(DocumentRole::config, platform, each.config.digest, each.config.bytes,
                     each.config.media_type);
    builder.own_platforms().push_back(each.platform);
  }
  return builder.finish();
}

}  // namespace

Expected<std::vector<VerbatimDescriptor>> linked_documents(const VerbatimDescriptor& descriptor,
                                                           std::string_view bytes) {
  try {
    return links(descriptor, bytes);
  } catch (const JsonInvalid& invalid) {
    return Unexpected{invalid.message};
  } catch (const json::exception& error) {
    return Unexpected{name_of(descriptor) + " could not be read: " + error.what()};
  }
}

Expected<Image> verbatim_image(std::string cid, const VerbatimDocument& document,
                               const std::map<std::string, std::string>& documents) {
  try {
    return build_verbatim(std::move(cid), document, documents);
  } catch (const JsonInvalid& invalid) {
    return Unexpected{invalid.message};
  } catch (const json::exception& error) {
    return Unexpected{std::string("it could not be read: ") + error.what()};
  }
}

bool is_verbatim_manifest_type(std::string_view media_type) {
  for (auto type : manifest_types)
    if (media_type == type) return true;
  return false;
}

bool is_index_media_type(std::string_view media_type) {
  return media_type == oci_index_media_type || media_type == docker_manifest_list_media_type;
}

Cid digest_cid(std::string_view digest) {
  std::string hex(digest.substr(7));
  std::string bytes;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return Cid{1, multicodec::raw, multihash::sha2_256, std::move(bytes)};
}

Expected<VerbatimDocument> parse_verbatim_document(std::string_view text) {
  return parse_document<VerbatimDocument>(text, max_image_document_size, validate);
}

std::string verbatim_document_json(const VerbatimDocument& document) {
  nlohmann::ordered_json out;
  out["mediaType"] = verbatim_image_media_type;
  out["manifest"] = {{"mediaType", document.manifest.media_type},
                     {"digest", document.manifest.digest},
                     {"size", document.manifest.size}};
  out["layers"] = document.layers;
  if (!document.tag.empty()) out["tag"] = document.tag;
  return out.dump(2) + "\n";
}

}  // namespace ocipfs
