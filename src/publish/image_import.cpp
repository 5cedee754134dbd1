#include "ocipfs/publish/image_import.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <utility>

#include "ocipfs/base/digest.hpp"
#include "ocipfs/base/text.hpp"
#include "ocipfs/image/image.hpp"
#include "ocipfs/image/image_document.hpp"  // declared_media_type
#include "ocipfs/image/json_fields.hpp"
#include "ocipfs/image/repository.hpp"
#include "ocipfs/publish/pack.hpp"
#include "ocipfs/publish/regular_file.hpp"

namespace ocipfs {

namespace fs = std::filesystem;

namespace {

using json = nlohmann::json;
using json_fields::JsonInvalid;

constexpr std::size_t read_size = 64 * 1024;
constexpr std::size_t max_link_hops = 16;

// Thrown inside this file only, and turned into an Unexpected at the API boundary.
struct ImportError {
  std::string message;
};

[[noreturn]] void fail(std::string message) { throw ImportError{std::move(message)}; }

template <class T>
T value_or_fail(Expected<T> result, const std::string& prefix) {
  if (!result) fail(prefix + result.error());
  return std::move(*result);
}

// ---------------------------------------------------------------- JSON

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

// ---------------------------------------------------------------- the pure parts

std::string_view source_kind_name(ImageSourceKind kind) {
  switch (kind) {
    case ImageSourceKind::oci_layout:
      return "OCI layout";
    case ImageSourceKind::oci_archive:
      return "oci-archive";
    case ImageSourceKind::docker_save:
      return "docker save";
  }
  return "?";
}

SourceSpec split_source(std::string_view text, const std::function<bool(const fs::path&)>& exists) {
  fs::path whole{std::string(text)};
  if (exists(whole)) return {whole, ""};
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return {whole, ""};
  fs::path path{std::string(text.substr(0, colon))};
  if (!exists(path)) return {whole, ""};
  return {path, std::string(text.substr(colon + 1))};
}

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

// ---------------------------------------------------------------- resolving

namespace {

class Resolver {
 public:
  explicit Resolver(const BlobLookup& lookup) : lookup_(lookup) {}

  ResolvedImage run(BlobDescriptor top) {
    std::string bytes = fetch(top, "the image");
    if (top.media_type.empty()) top.media_type = declared_media_type(bytes);
    out_.top = top;
    if (is_index_media_type(top.media_type))
      visit_index(top, bytes, 1);
    else if (is_verbatim_manifest_type(top.media_type))
      visit_manifest(top, bytes);
    else
      fail("the image " + top.digest + " has the media type " + in_quotes(top.media_type, 80) +
           ", not an OCI or Docker image index or manifest");
    return std::move(out_);
  }

 private:
  // The bytes of a small blob, checked against its descriptor, and kept once as a document.
  std::string fetch(const BlobDescriptor& blob, const std::string& what) {
    std::string name = what + " " + blob.digest;
    if (blob.size > max_verbatim_blob_size)
      fail(name + " is " + std::to_string(blob.size) + " bytes; at most " +
           std::to_string(max_verbatim_blob_size) + " are allowed");
    std::string bytes = value_or_fail(lookup_(blob), name + ": ");
    if (bytes.size() != blob.size)
      fail(name + " has " + std::to_string(bytes.size()) + " bytes, but its descriptor says " +
           std::to_string(blob.size));
    std::string actual = sha256_digest(bytes);
    if (actual != blob.digest) fail(name + ": its bytes hash to " + actual);
    if (seen_.insert(blob.digest).second) out_.documents.emplace_back(blob, bytes);
    return bytes;
  }

  void visit_index(const BlobDescriptor& index, const std::string& bytes, std::size_t depth) {
    if (depth > max_index_depth)
      fail("index " + index.digest + " nests indexes deeper than " +
           std::to_string(max_index_depth) + " levels");
    out_.indexes.push_back(index);
    auto entries = value_or_fail(parse_index_entries(bytes), "index " + index.digest + ": ");
    for (const auto& entry : entries) {
      std::string what = "entry of index " + index.digest + ",";
      std::string child = fetch(
          entry, is_index_media_type(entry.media_type) ? what + " index" : what + " manifest");
      if (is_index_media_type(entry.media_type))
        visit_index(entry, child, depth + 1);
      else
        visit_manifest(entry, child);
    }
  }

  void visit_manifest(const BlobDescriptor& manifest, const std::string& bytes) {
    auto blobs = value_or_fail(parse_manifest_blobs(bytes), "manifest " + manifest.digest + ": ");
    ResolvedManifest resolved{manifest, blobs.config, {}, blobs.layers};
    resolved.platform =
        config_platform(fetch(blobs.config, "config of manifest " + manifest.digest + ", blob"));
    for (const auto& layer : blobs.layers) {
      ++out_.layer_references;
      if (layers_.insert(layer.digest).second) out_.layers.push_back(layer);
    }
    if (out_.layers.size() > max_verbatim_layers)
      fail("the image has more than " + std::to_string(max_verbatim_layers) + " distinct layers");
    out_.manifests.push_back(std::move(resolved));
  }

  const BlobLookup& lookup_;
  ResolvedImage out_;
  std::set<std::string> seen_;
  std::set<std::string> layers_;
};

}  // namespace

Expected<ResolvedImage> resolve_image(const BlobDescriptor& top, const BlobLookup& lookup) {
  try {
    return Resolver(lookup).run(top);
  } catch (const ImportError& error) {
    return Unexpected{error.message};
  }
}

// ---------------------------------------------------------------- streaming a layer

namespace {

// One layer blob on its way into the sink: hashed, counted and imported as it streams.
class LayerStream {
 public:
  LayerStream(const BlobDescriptor& layer, const BlockSink& sink)
      : layer_(layer), importer_(sink) {}
  void write(std::string_view bytes) {
    hash_.update(bytes);
    size_ += bytes.size();
    importer_.write(bytes);
  }
  ImportedNode finish() {
    std::string name = "layer " + layer_.digest;
    if (size_ != layer_.size)
      fail(name + " has " + std::to_string(size_) + " bytes, but its descriptor says " +
           std::to_string(layer_.size));
    std::string actual = hash_.digest();
    if (actual != layer_.digest) fail(name + ": its bytes hash to " + actual);
    return importer_.finish();
  }

 private:
  BlobDescriptor layer_;
  FileImporter importer_;
  Sha256Stream hash_;
  std::uint64_t size_ = 0;
};

using LayerNodes = std::map<std::string, ImportedNode>;  // by digest

ImportedNode import_bytes(const BlobDescriptor& layer, std::string_view bytes,
                          const BlockSink& sink) {
  LayerStream stream(layer, sink);
  stream.write(bytes);
  return stream.finish();
}

// ---------------------------------------------------------------- a layout directory

using File = InputFile;

File open_for_reading(const fs::path& path, const std::string& prefix = "") {
  auto file = open_regular_file(path);
  if (!file) fail(prefix + "cannot read " + path_in_quotes(path) + ": " + file.error());
  return std::move(*file);
}

fs::path blob_path(const fs::path& layout, std::string_view digest) {
  return layout / "blobs" / "sha256" / std::string(digest.substr(7));
}

// Reads `path` whole, at most `limit` bytes; nullopt when it does not exist.
std::optional<std::string> read_small_file(const fs::path& path, std::size_t limit) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::nullopt;
  File in = open_for_reading(path);
  std::string bytes(limit + 1, '\0');
  std::size_t size = std::fread(bytes.data(), 1, bytes.size(), in.get());
  if (std::ferror(in.get()))
    fail("cannot read " + path_in_quotes(path) + ": " + std::strerror(errno));
  if (size > limit)
    fail(path_in_quotes(path) + " is larger than " + std::to_string(limit) + " bytes, the limit");
  bytes.resize(size);
  return bytes;
}

BlobLookup layout_lookup(const fs::path& layout) {
  return [layout](const BlobDescriptor& blob) -> Expected<std::string> {
    fs::path path = blob_path(layout, blob.digest);
    auto bytes = read_small_file(path, max_verbatim_blob_size);
    if (!bytes)
      return Unexpected{"the source has no such blob (" + path_in_quotes(path) + " is missing)"};
    return std::move(*bytes);
  };
}

void import_layout_layers(const fs::path& layout, const std::vector<BlobDescriptor>& layers,
                          const BlockSink& sink, LayerNodes& nodes) {
  std::string buffer(read_size, '\0');
  for (const auto& layer : layers) {
    fs::path path = blob_path(layout, layer.digest);
    File in = open_for_reading(path, "layer " + layer.digest + ": ");
    LayerStream stream(layer, sink);
    while (std::size_t n = std::fread(buffer.data(), 1, buffer.size(), in.get()))
      stream.write(std::string_view(buffer.data(), n));
    if (std::ferror(in.get()))
      fail("cannot read " + path_in_quotes(path) + ": " + std::strerror(errno));
    nodes[layer.digest] = stream.finish();
  }
}

void check_layout_layers(const fs::path& layout, const std::vector<BlobDescriptor>& layers) {
  for (const auto& layer : layers) {
    std::error_code ec;
    fs::path path = blob_path(layout, layer.digest);
    if (fs::exists(path, ec)) {
      open_for_reading(path, "layer " + layer.digest + ": ");  // refuses a FIFO, a directory
      continue;
    }
    fail("layer " + layer.digest + ": the source has no such blob (" + path_in_quotes(path) +
         " is missing)");
  }
}

// ---------------------------------------------------------------- a tarball

struct ArchiveFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
using Archive = std::unique_ptr<archive, ArchiveFree>;

// `name` without "." and empty components; ".." goes up (nullopt above the root).
std::optional<std::string> normalized(std::string_view name) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t slash = name.find('/', start);
    if (slash == std::string_view::npos) slash = name.size();
    std::string part(name.substr(start, slash - start));
    start = slash + 1;
    if (part.empty() || part == ".") continue;
    if (part != "..") {
      parts.push_back(std::move(part));
    } else if (parts.empty()) {
      return std::nullopt;
    } else {
      parts.pop_back();
    }
  }
  std::string out;
  for (const auto& part : parts) out += (out.empty() ? "" : "/") + part;
  return out;
}

// What the first read of a tarball keeps: the small files' bytes, every file's size, the links.
struct ArchiveContents {
  std::map<std::string, std::string> small;
  std::map<std::string, std::uint64_t> sizes;
  std::map<std::string, std::string> links;  // a symlink's or hard link's name → its target
  std::size_t kept = 0;

  // The file a name stands for, through links.
  std::string resolve(std::string name) const {
    for (std::size_t hop = 0; hop < max_link_hops; ++hop) {
      auto link = links.find(name);
      if (link == links.end()) return name;
      name = link->second;
    }
    return name;
  }
};

// Reads a tarball entry by entry, with names checked and normalized.
class TarReader {
 public:
  explicit TarReader(const fs::path& path)
      : file_(open_for_reading(path)), archive_(archive_read_new()) {
    if (!archive_) fail("cannot initialize libarchive");
    archive_read_support_format_tar(archive_.get());
    archive_read_support_filter_all(archive_.get());
    if (archive_read_open_FILE(archive_.get(), file_.get()) != ARCHIVE_OK) fail(problem());
  }

  // The next entry, or nullptr at the end; `name` is its normalized name.
  archive_entry* next(std::string& name) {
    archive_entry* entry = nullptr;
    int result = archive_read_next_header(archive_.get(), &entry);
    if (result == ARCHIVE_EOF) return nullptr;
    if (result != ARCHIVE_OK && result != ARCHIVE_WARN) fail(problem());
    const char* raw = archive_entry_pathname(entry);
    std::string text = raw ? raw : "";
    if (auto unsafe = unsafe_tar_name_problem(text); !unsafe.empty())
      fail("entry " + in_quotes(text, 200) + " " + unsafe +
           "; an image's entries must stay "
           "inside the archive");
    name = normalized(text).value_or("");
    return entry;
  }

  // Gives the current entry's data in reads of at most read_size bytes.
  template <class Consume>
  void read_data(Consume consume) {
    for (;;) {
      la_ssize_t n = archive_read_data(archive_.get(), buffer_.data(), buffer_.size());
      if (n < 0) fail(problem());
      if (n == 0) return;
      consume(std::string_view(buffer_.data(), static_cast<std::size_t>(n)));
    }
  }
  void skip_data() {
    if (archive_read_data_skip(archive_.get()) != ARCHIVE_OK) fail(problem());
  }

 private:
  std::string problem() const {
    const char* message = archive_error_string(archive_.get());
    return "it is not a valid tar archive, or it is truncated: " +
           std::string(message ? message : "unknown error");
  }

  File file_;  // outlives archive_, which reads it
  Archive archive_;
  std::string buffer_ = std::string(read_size, '\0');
};

void record_link(ArchiveContents& contents, const std::string& name, archive_entry* entry) {
  if (const char* hard = archive_entry_hardlink(entry)) {
    if (auto target = normalized(hard)) contents.links[name] = *target;
    return;
  }
  const char* symlink = archive_entry_symlink(entry);
  if (!symlink || !*symlink || *symlink == '/') return;
  std::string base = fs::path(name).parent_path().string();
  if (auto target = normalized(base.empty() ? symlink : base + "/" + symlink))
    contents.links[name] = *target;
}

// The first read: small files kept, large ones only counted, their data skipped.
ArchiveContents read_archive_contents(const fs::path& path) {
  ArchiveContents contents;
  TarReader reader(path);
  std::string name;
  while (archive_entry* entry = reader.next(name)) {
    if (archive_entry_hardlink(entry) || archive_entry_filetype(entry) == AE_IFLNK) {
      record_link(contents, name, entry);
    } else if (archive_entry_filetype(entry) == AE_IFREG) {
      auto size = static_cast<std::uint64_t>(archive_entry_size(entry));
      contents.sizes[name] = size;
      if (size <= max_verbatim_blob_size) {
        if (contents.kept + size > max_kept_archive_bytes)
          fail("its small entries take more than " + std::to_string(max_kept_archive_bytes) +
               " bytes, the limit of what import keeps in memory");
        std::string& bytes = contents.small[name];
        reader.read_data([&](std::string_view piece) { bytes.append(piece); });
        contents.kept += bytes.size();
        continue;
      }
    }
    reader.skip_data();
  }
  return contents;
}

// The second read: each large layer in `wanted` (by entry name) streamed into the sink.
void stream_archive_layers(const fs::path& path,
                           const std::map<std::string, BlobDescriptor>& wanted,
                           const BlockSink& sink, LayerNodes& nodes) {
  TarReader reader(path);
  std::string name;
  std::size_t found = 0;
  while (archive_entry* entry = reader.next(name)) {
    auto layer = wanted.find(name);
    if (layer == wanted.end() || archive_entry_filetype(entry) != AE_IFREG ||
        archive_entry_hardlink(entry) || nodes.count(layer->second.digest)) {
      reader.skip_data();
      continue;
    }
    LayerStream stream(layer->second, sink);
    reader.read_data([&](std::string_view piece) { stream.write(piece); });
    nodes[layer->second.digest] = stream.finish();
    ++found;
  }
  if (found != wanted.size()) fail("it changed while it was read: a layer entry is gone");
}

// ---------------------------------------------------------------- the sources

struct Source {
  ImageSourceKind kind = ImageSourceKind::oci_layout;
  BlobDescriptor top;
  std::string tag;
  BlobLookup lookup;
  // Fails when a layer blob is missing, before any block is given.
  std::function<void(const std::vector<BlobDescriptor>&)> check_layers;
  std::function<void(const std::vector<BlobDescriptor>&, const BlockSink&, LayerNodes&)>
      import_layers;
};

std::string tag_or_empty(const std::string& name) { return is_tag(name) ? name : ""; }

Source open_layout(const fs::path& layout, std::string_view ref) {
  auto index = read_small_file(layout / "index.json", max_verbatim_blob_size);
  if (!index) fail("it is not an OCI layout: it has no index.json");
  auto entry = value_or_fail(choose_layout_entry(*index, ref), "index.json: ");
  Source source;
  source.kind = ImageSourceKind::oci_layout;
  source.top = entry.descriptor;
  source.tag = tag_or_empty(entry.ref_name);
  source.lookup = layout_lookup(layout);
  source.check_layers = [layout](const auto& layers) { check_layout_layers(layout, layers); };
  source.import_layers = [layout](const auto& layers, const BlockSink& sink, LayerNodes& nodes) {
    import_layout_layers(layout, layers, sink, nodes);
  };
  return source;
}

// A lookup and layer import over an archive's contents, by each blob's entry name.
void archive_blobs(Source& source, const fs::path& path,
                   std::shared_ptr<const ArchiveContents> contents,
                   std::function<std::string(const BlobDescriptor&)> entry_of) {
  source.lookup = [contents, entry_of](const BlobDescriptor& blob) -> Expected<std::string> {
    std::string name = contents->resolve(entry_of(blob));
    auto small = contents->small.find(name);
    if (small != contents->small.end()) return small->second;
    if (contents->sizes.count(name))
      return Unexpected{"entry " + in_quotes(name, 200) + " is larger than " +
                        std::to_string(max_verbatim_blob_size) + " bytes, the limit"};
    return Unexpected{"the source has no such blob (no entry " + in_quotes(name, 200) + ")"};
  };
  source.check_layers = [contents, entry_of](const std::vector<BlobDescriptor>& layers) {
    std::map<std::string, std::string> digest_of;  // by entry name
    for (const auto& layer : layers) {
      std::string name = contents->resolve(entry_of(layer));
      if (!contents->sizes.count(name))
        fail("layer " + layer.digest + ": the source has no such blob (no entry " +
             in_quotes(name, 200) + ")");
      auto [seen, added] = digest_of.emplace(name, layer.digest);
      if (!added)
        fail("layers " + seen->second + " and " + layer.digest + " are both the entry " +
             in_quotes(name, 200) + ": the bytes of one cannot match its digest");
    }
  };
  source.import_layers = [contents, entry_of, path](const std::vector<BlobDescriptor>& layers,
                                                    const BlockSink& sink, LayerNodes& nodes) {
    std::map<std::string, BlobDescriptor> wanted;
    for (const auto& layer : layers) {
      std::string name = contents->resolve(entry_of(layer));
      auto small = contents->small.find(name);
      if (small != contents->small.end())
        nodes[layer.digest] = import_bytes(layer, small->second, sink);
      else
        wanted.emplace(name, layer);
    }
    if (!wanted.empty()) stream_archive_layers(path, wanted, sink, nodes);
  };
}

Source open_oci_archive(const fs::path& path, std::shared_ptr<const ArchiveContents> contents,
                        std::string_view ref) {
  auto entry =
      value_or_fail(choose_layout_entry(contents->small.at("index.json"), ref), "index.json: ");
  Source source;
  source.kind = ImageSourceKind::oci_archive;
  source.top = entry.descriptor;
  source.tag = tag_or_empty(entry.ref_name);
  archive_blobs(source, path, std::move(contents),
                [](const BlobDescriptor& blob) { return "blobs/sha256/" + blob.digest.substr(7); });
  return source;
}

// A docker save image's layers, as the manifest import writes names them: each its diff_id.
std::vector<BlobDescriptor> docker_layers(const ArchiveContents& contents,
                                          const DockerSaveImage& image,
                                          const std::vector<std::string>& diff_ids,
                                          std::map<std::string, std::string>& entry_of) {
  if (diff_ids.size() != image.layer_paths.size())
    fail("manifest.json lists " + std::to_string(image.layer_paths.size()) +
         " layers, but the config's rootfs.diff_ids has " + std::to_string(diff_ids.size()));
  std::vector<BlobDescriptor> layers;
  for (std::size_t i = 0; i < diff_ids.size(); ++i) {
    std::string name = contents.resolve(normalized(image.layer_paths[i]).value_or(""));
    auto size = contents.sizes.find(name);
    if (size == contents.sizes.end())
      fail("manifest.json lists the layer " + in_quotes(image.layer_paths[i], 200) +
           ", which the source lacks");
    layers.push_back({std::string(oci_layer_tar), diff_ids[i], size->second});
    entry_of.emplace(diff_ids[i], name);
  }
  return layers;
}

// docker save names the config after its digest (the image ID): "<hex>.json" or
// "blobs/sha256/<hex>". A name of that form must match the bytes.
void check_named_digest(const std::string& path, const std::string& digest) {
  std::string name = fs::path(path).filename().string();
  if (name.ends_with(".json")) name.resize(name.size() - 5);
  if (!is_sha256_digest("sha256:" + name) || "sha256:" + name == digest) return;
  fail("config " + in_quotes(path, 200) + ": its bytes hash to " + digest +
       ", not the digest its name says");
}

Source open_docker_save(const fs::path& path, std::shared_ptr<ArchiveContents> contents,
                        std::string_view ref) {
  auto image = value_or_fail(parse_docker_save_manifest(contents->small.at("manifest.json"), ref),
                             "manifest.json: ");
  std::string config_name = contents->resolve(normalized(image.config_path).value_or(""));
  auto config = contents->small.find(config_name);
  if (config == contents->small.end())
    fail("manifest.json names the config " + in_quotes(image.config_path, 200) + ", which " +
         (contents->sizes.count(config_name) ? "is larger than 1 MiB" : "the source lacks"));
  BlobDescriptor config_blob{std::string(oci_config_media_type), sha256_digest(config->second),
                             config->second.size()};
  check_named_digest(image.config_path, config_blob.digest);
  auto diff_ids = value_or_fail(config_diff_ids(config->second),
                                "config " + in_quotes(image.config_path, 200) + ": ");
  auto entries = std::make_shared<std::map<std::string, std::string>>();
  auto layers = docker_layers(*contents, image, diff_ids, *entries);
  std::string manifest = docker_save_manifest(config_blob, layers);
  Source source;
  source.kind = ImageSourceKind::docker_save;
  source.top = {std::string(oci_manifest_media_type), sha256_digest(manifest), manifest.size()};
  source.tag = image.tag;
  // The synthesized manifest and the config are found under made-up entry names.
  contents->small["\x01manifest"] = manifest;
  (*entries)[source.top.digest] = "\x01manifest";
  (*entries)[config_blob.digest] = config_name;
  archive_blobs(source, path, std::move(contents), [entries](const BlobDescriptor& blob) {
    auto it = entries->find(blob.digest);
    return it == entries->end() ? "blobs/sha256/" + blob.digest.substr(7) : it->second;
  });
  return source;
}

Source open_source(const fs::path& path, std::string_view ref) {
  std::error_code ec;
  auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) fail("it does not exist");
  if (fs::is_directory(status)) return open_layout(path, ref);
  if (!fs::is_regular_file(status)) fail("it is neither a directory nor a file");
  auto contents = std::make_shared<ArchiveContents>(read_archive_contents(path));
  if (contents->small.count("index.json") && contents->small.count("oci-layout"))
    return open_oci_archive(path, contents, ref);
  if (contents->small.count("manifest.json")) return open_docker_save(path, contents, ref);
  fail(
      "it is neither an oci-archive (index.json and oci-layout) nor a docker save tarball "
      "(manifest.json)");
}

// ---------------------------------------------------------------- the import

void give_documents(const ResolvedImage& image, const BlockSink& sink) {
  if (!sink) return;
  for (const auto& [blob, bytes] : image.documents) sink(digest_cid(blob.digest), bytes);
}

void finish_document(ImportedImage& out, const Source& source, const LayerNodes& nodes,
                     const BlockSink& sink) {
  out.document.manifest = {out.image.top.media_type, out.image.top.digest, out.image.top.size};
  out.document.tag = source.tag;
  for (const auto& layer : out.image.layers) {
    out.document.layers[layer.digest] = nodes.at(layer.digest).cid.to_string();
    out.layer_bytes += layer.size;
  }
  out.document_json = verbatim_document_json(out.document);
  if (auto valid = parse_verbatim_document(out.document_json); !valid)
    fail("internal error: the verbatim document written does not parse: " + valid.error());
  out.document_cid = import_file(out.document_json, sink).cid;
  out.roots.push_back(out.document_cid);
  for (const auto& document : out.image.documents)
    out.roots.push_back(digest_cid(document.first.digest));
  for (const auto& layer : out.image.layers) out.roots.push_back(nodes.at(layer.digest).cid);
}

ImportedImage run_import(const fs::path& path, std::string_view ref, const SinkOpener& open) {
  Source source = open_source(path, ref);
  ImportedImage out;
  out.kind = source.kind;
  out.image = value_or_fail(resolve_image(source.top, source.lookup), "");
  if (!is_verbatim_manifest_type(out.image.top.media_type))
    fail("the image " + out.image.top.digest + " is not an OCI or Docker index or manifest");
  source.check_layers(out.image.layers);
  BlockSink sink = open(1 + out.image.documents.size() + out.image.layers.size());
  give_documents(out.image, sink);
  LayerNodes nodes;
  source.import_layers(out.image.layers, sink, nodes);
  finish_document(out, source, nodes, sink);
  return out;
}

}  // namespace

Expected<ImportedImage> import_image(const fs::path& source, std::string_view ref,
                                     const SinkOpener& open_sink) {
  try {
    return run_import(source, ref, open_sink);
  } catch (const ImportError& error) {
    return Unexpected{path_in_quotes(source) + ": " + error.message};
  } catch (const std::exception& error) {
    return Unexpected{std::string(error.what())};
  }
}

}  // namespace ocipfs
