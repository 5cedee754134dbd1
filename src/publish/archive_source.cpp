#include "archive_source.hpp"

#include <map>
#include <memory>
#include <utility>

#include "archive_contents.hpp"
#include "ocipfs/base/digest.hpp"
#include "ocipfs/base/text.hpp"
#include "ocipfs/image/image.hpp"
#include "ocipfs/image/verbatim_image.hpp"
#include "ocipfs/publish/image_source_json.hpp"
#include "ocipfs/publish/layer_tarball.hpp"
#include "step_failure.hpp"

namespace ocipfs::publish_detail {

namespace fs = std::filesystem;

namespace {

// A lookup and layer import over an archive's contents, by each blob's entry name.
void archive_blobs(OpenedSource& source, const fs::path& path,
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

OpenedSource open_oci_archive(const fs::path& path, std::shared_ptr<const ArchiveContents> contents,
                              std::string_view ref) {
  auto entry =
      value_or_fail(choose_layout_entry(contents->small.at("index.json"), ref), "index.json: ");
  OpenedSource source;
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

OpenedSource open_docker_save(const fs::path& path, std::shared_ptr<ArchiveContents> contents,
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
  OpenedSource source;
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

}  // namespace

OpenedSource open_archive(const fs::path& path, std::string_view ref) {
  auto contents = std::make_shared<ArchiveContents>(read_archive_contents(path));
  if (contents->small.count("index.json") && contents->small.count("oci-layout"))
    return open_oci_archive(path, contents, ref);
  if (contents->small.count("manifest.json")) return open_docker_save(path, contents, ref);
  fail(
      "it is neither an oci-archive (index.json and oci-layout) nor a docker save tarball "
      "(manifest.json)");
}

}  // namespace ocipfs::publish_detail
