#include "ocipfs/image/document_writer.hpp"

#include "ocipfs/base/canonical_json.hpp"
#include "ocipfs/image/layer_manifest.hpp"

namespace ocipfs {

namespace {

void append_digest_string(std::string& out, const Sha256& digest) {
  out += '"';
  append_sha256_digest(out, digest);
  out += '"';
}

// {"architecture":...,"os":...[,"variant":...]} without its closing brace.
void append_platform_members(std::string& out, const Platform& platform) {
  out += "{\"architecture\":";
  append_json_string(out, platform.architecture);
  out += ",\"os\":";
  append_json_string(out, platform.os);
  if (platform.variant.empty()) return;
  out += ",\"variant\":";
  append_json_string(out, platform.variant);
}

// "digest":...,"mediaType":... : the members of a descriptor between "annotations" and "platform".
void append_digest_and_type(std::string& out, const Sha256& digest, std::string_view media_type) {
  out += "\"digest\":";
  append_digest_string(out, digest);
  out += ",\"mediaType\":";
  append_json_string(out, media_type);
}

void append_size_member(std::string& out, std::uint64_t size) {
  out += ",\"size\":";
  append_json_number(out, size);
}

// A layer's descriptor, in as few appends as its fixed parts allow: a 100-layer manifest is a
// hundred of them, written on every GET of it. (The annotation keys sort "fs" before "ipfs".)
void append_layer_descriptor(std::string& out, const ImageLayer& layer) {
  static_assert(fs_digest_annotation == "io.ocipfs.layer.fs.digest" &&
                ipfs_cid_annotation == "io.ocipfs.layer.ipfs.cid");
  using namespace std::string_view_literals;
  out.append("{\"annotations\":{\"io.ocipfs.layer.fs.digest\":\""sv);
  append_sha256_digest(out, layer.diff_id);
  out.append("\",\"io.ocipfs.layer.ipfs.cid\":"sv);
  append_json_string(out, layer.ipfs_path);
  out.append("},\"digest\":\""sv);
  append_sha256_digest(out, layer.digest);
  out.append("\",\"mediaType\":"sv);
  append_json_string(out, layer.media_type);
  out.append(",\"size\":"sv);
  append_json_number(out, layer.size);
  out += '}';
}

}  // namespace

void append_image_config(std::string& out, const Platform& platform,
                         std::string_view container_config, std::span<const ImageLayer> layers) {
  out += "{\"architecture\":";
  append_json_string(out, platform.architecture);
  out += ",\"config\":";
  out += container_config;
  out += ",\"history\":[";
  for (std::size_t i = 0; i < layers.size(); ++i) {
    out += i ? ",{\"created_by\":\"ocipfs layer/" : "{\"created_by\":\"ocipfs layer/";
    out += layers[i].manifest_cid;  // base32: nothing to escape
    out += "\"}";
  }
  out += "],\"os\":";
  append_json_string(out, platform.os);
  out += ",\"rootfs\":{\"diff_ids\":[";
  for (std::size_t i = 0; i < layers.size(); ++i) {
    out.append(i ? ",\"" : "\"");
    append_sha256_digest(out, layers[i].diff_id);
    out += '"';
  }
  out += "],\"type\":\"layers\"}";
  if (!platform.variant.empty()) {
    out += ",\"variant\":";
    append_json_string(out, platform.variant);
  }
  out += '}';
}

void append_image_manifest(std::string& out, std::string_view annotations,
                           const DocumentFacts& config, std::span<const ImageLayer> layers) {
  out += '{';
  if (!annotations.empty()) {
    out += "\"annotations\":";
    out += annotations;
    out += ',';
  }
  out += "\"config\":{";
  append_digest_and_type(out, config.digest, oci_config_media_type);
  append_size_member(out, config.size);
  out += "},\"layers\":[";
  for (std::size_t i = 0; i < layers.size(); ++i) {
    if (i) out += ',';
    append_layer_descriptor(out, layers[i]);
  }
  out += "],\"mediaType\":";
  append_json_string(out, oci_manifest_media_type);
  out += ",\"schemaVersion\":2}";
}

void append_image_index(std::string& out, std::span<const IndexEntry> entries) {
  out += "{\"manifests\":[";
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (i) out += ',';
    out += '{';
    append_digest_and_type(out, entries[i].manifest.digest, oci_manifest_media_type);
    out += ",\"platform\":";
    append_platform_members(out, *entries[i].platform);
    out += '}';
    append_size_member(out, entries[i].manifest.size);
    out += '}';
  }
  out += "],\"mediaType\":";
  append_json_string(out, oci_index_media_type);
  out += ",\"schemaVersion\":2}";
}

void append_string_object(std::string& out, const std::map<std::string, std::string>& strings) {
  if (strings.empty()) return;
  char separator = '{';
  for (const auto& [key, value] : strings) {
    out += separator;
    separator = ',';
    append_json_string(out, key);
    out += ':';
    append_json_string(out, value);
  }
  out += '}';
}

}  // namespace ocipfs
