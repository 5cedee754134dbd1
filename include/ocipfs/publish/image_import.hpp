// Importing an existing image (an OCI layout, an oci-archive, a docker save tarball) byte for
// byte: its indexes, manifests and configs as raw blocks, its layers as UnixFS files, and the
// verbatim document that ties them together.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "ocipfs/base/expected.hpp"
#include "ocipfs/formats/cid.hpp"
#include "ocipfs/formats/unixfs.hpp"
#include "ocipfs/image/platform.hpp"
#include "ocipfs/image/verbatim_image.hpp"

namespace ocipfs {

// containerd's limit (the overlay mount), as for image documents: more layers in one manifest
// are refused.
inline constexpr std::size_t max_import_layers = max_image_layers;
// An index in index.json's entry is level 1; one more level of index is allowed under it.
inline constexpr std::size_t max_index_depth = 2;
// A tarball's entries of at most max_verbatim_blob_size bytes are kept in memory while it is
// read; together at most this many bytes.
inline constexpr std::size_t max_kept_archive_bytes = 256 * 1024 * 1024;
inline constexpr std::string_view oci_ref_name_annotation = "org.opencontainers.image.ref.name";

enum class ImageSourceKind { oci_layout, oci_archive, docker_save };

// "OCI layout", "oci-archive" or "docker save", as the report says.
std::string_view source_kind_name(ImageSourceKind kind);

// A descriptor as a source's JSON has it (any blob: index, manifest, config or layer); its
// media_type may be empty where the JSON has none.
using BlobDescriptor = VerbatimDescriptor;

// Splits SOURCE into its path and REF: the whole text when `exists(text)`, else the part before
// the last ':' and the REF after it (when that part exists); else the whole text, no REF.
struct SourceSpec {
  std::filesystem::path path;
  std::string ref;  // empty: none given
};
SourceSpec split_source(std::string_view text,
                        const std::function<bool(const std::filesystem::path&)>& exists);

// ---------------------------------------------------------------- pure parts, on bytes

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

// The bytes of a small blob (index, manifest or config) of a source, by descriptor; the error
// says it is missing or too large. The bytes are checked by resolve_image, not by the lookup.
using BlobLookup = std::function<Expected<std::string>(const BlobDescriptor& descriptor)>;

struct ResolvedManifest {
  BlobDescriptor manifest;
  BlobDescriptor config;
  Platform platform;  // the config's
  std::vector<BlobDescriptor> layers;
};

struct ResolvedImage {
  BlobDescriptor top;                       // its media type filled in when the entry had none
  std::vector<BlobDescriptor> indexes;      // the top index first, then nested ones
  std::vector<ResolvedManifest> manifests;  // in the order the indexes list them
  // Every index, manifest and config with its bytes, once each, in the order read.
  std::vector<std::pair<BlobDescriptor, std::string>> documents;
  std::vector<BlobDescriptor> layers;  // distinct by digest, in order of first appearance
  std::size_t layer_references = 0;    // layers over every manifest, shared ones each time
};

// Reads the image under `top` through `lookup`: every index (nesting at most max_index_depth),
// manifest and config, each at most max_verbatim_blob_size bytes and checked against its
// descriptor's digest and size. Errors are one line naming the blob and the problem.
Expected<ResolvedImage> resolve_image(const BlobDescriptor& top, const BlobLookup& lookup);

// ---------------------------------------------------------------- the import

struct ImportedImage {
  ImageSourceKind kind = ImageSourceKind::oci_layout;
  ResolvedImage image;
  VerbatimDocument document;
  std::string document_json;      // verbatim_document_json(document), validated
  Cid document_cid;               // the image's CID: the document imported as a file
  std::uint64_t layer_bytes = 0;  // the distinct layers' bytes
  // [document, every document raw block, every layer file], as a CAR's roots.
  std::vector<Cid> roots;
};

// Gives the sink for the blocks once their roots are counted (called once, before any block).
// It may throw a std::exception to stop: the import then fails with its what().
using SinkOpener = std::function<BlockSink(std::size_t root_count)>;

// Imports the image at `source` (a layout directory, or a tarball: an oci-archive when it holds
// index.json and oci-layout, else a docker save), choosing `ref` as choose_layout_entry or
// parse_docker_save_manifest do. Reads every small blob, resolves and checks the image, then
// opens the sink and gives it: each index, manifest and config as one raw block named
// digest_cid(digest); each distinct layer blob as a UnixFS file (FileImporter: raw leaves,
// CIDv1), streamed in 64 KiB reads and checked against its digest and size at its end; then the
// verbatim document as a file. A layer blob's data is read once (a tarball is read twice: small
// entries first, then the layers). Errors are one line naming the source and the blob; after
// one, the sink may have had blocks, but nothing the caller should publish.
Expected<ImportedImage> import_image(const std::filesystem::path& source, std::string_view ref,
                                     const SinkOpener& open_sink);

}  // namespace ocipfs
