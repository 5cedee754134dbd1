#include "ocipfs/publish/resolved_image.hpp"

#include <set>

#include "ocipfs/base/digest.hpp"
#include "ocipfs/base/text.hpp"
#include "ocipfs/image/image_document.hpp"  // declared_media_type
#include "ocipfs/image/verbatim_image.hpp"
#include "step_failure.hpp"

namespace ocipfs {

namespace {

using publish_detail::fail;
using publish_detail::value_or_fail;

// Walks the image from its top blob, depth first, in the order the indexes list their entries.
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
  } catch (const publish_detail::StepFailure& error) {
    return Unexpected{error.message};
  }
}

}  // namespace ocipfs
