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
#include "ocipfs/image/verbatim_image.hpp"
#include "ocipfs/publish/image_source.hpp"
#include "ocipfs/publish/image_source_json.hpp"
#include "ocipfs/publish/resolved_image.hpp"

namespace ocipfs {

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
