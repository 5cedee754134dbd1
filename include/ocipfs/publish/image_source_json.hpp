// The JSON of an image to import, read on bytes: an OCI layout's index.json, image indexes and
// manifests (OCI or Docker), configs, and docker save's manifest.json; and the OCI manifest that
// import writes for a docker save image.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "ocipfs/base/expected.hpp"
#include "ocipfs/image/platform.hpp"
#include "ocipfs/image/verbatim_image.hpp"

namespace ocipfs {

// containerd's limit (the overlay mount), as for image documents: more layers in one manifest
// are refused.
inline constexpr std::size_t max_import_layers = max_image_layers;
inline constexpr std::string_view oci_ref_name_annotation = "org.opencontainers.image.ref.name";

// A descriptor as a source's JSON has it (any blob: index, manifest, config or layer); its
// media_type may be empty where the JSON has none.
using BlobDescriptor = VerbatimDescriptor;

// The index.json entry to import: the one whose ref.name annotation is `ref`, or the only one
// when `ref` is empty. Errors: no entries, no entry for `ref` (the refs listed), several entries
// and no `ref` (the refs listed), a bad descriptor (the field named).
struct LayoutEntry {
  BlobDescriptor descriptor;
  std::string ref_name;  // its annotation, or empty
};
Expected<LayoutEntry> choose_layout_entry(std::string_view index_json, std::string_view ref);

// The config and layers of an OCI image manifest or a Docker manifest v2. Refuses more than
// max_import_layers layers, a descriptor whose digest is not sha256 (the field named).
struct ManifestBlobs {
  BlobDescriptor config;
  std::vector<BlobDescriptor> layers;
};
Expected<ManifestBlobs> parse_manifest_blobs(std::string_view manifest_json);

// The `manifests` of an OCI image index or a Docker manifest list, each with its mediaType.
Expected<std::vector<BlobDescriptor>> parse_index_entries(std::string_view index_json);

// The os/architecture/variant of an image config; empty fields where it names none or is no
// JSON object.
Platform config_platform(std::string_view config_json);

// rootfs.diff_ids of an image config, each a sha256 digest.
Expected<std::vector<std::string>> config_diff_ids(std::string_view config_json);

// One image of a docker save manifest.json: the entry whose RepoTags holds `ref`, or the only
// one when `ref` is empty (several and no ref: the RepoTags are listed). Paths inside the
// tarball as written; tag: the tag part of its first RepoTags entry when it is a valid OCI tag.
struct DockerSaveImage {
  std::string config_path;
  std::vector<std::string> layer_paths;
  std::string tag;
};
Expected<DockerSaveImage> parse_docker_save_manifest(std::string_view manifest_json,
                                                     std::string_view ref);

// The OCI image manifest import writes for a docker save image: canonical JSON (keys sorted, no
// whitespace), schemaVersion 2, the config as application/vnd.oci.image.config.v1+json, each
// layer as application/vnd.oci.image.layer.v1.tar with its digest (its diff_id) and size.
std::string docker_save_manifest(const BlobDescriptor& config,
                                 const std::vector<BlobDescriptor>& layers);

}  // namespace ocipfs
