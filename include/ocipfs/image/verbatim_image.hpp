// The verbatim image document: an existing OCI image kept byte for byte on IPFS. Its manifests
// and configs are raw blocks, whose raw CIDv1 (sha2-256) *is* their OCI digest; the document
// names the top one by its descriptor and says where each layer blob's bytes are.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "ocipfs/base/expected.hpp"
#include "ocipfs/formats/cid.hpp"
#include "ocipfs/formats/ipfs_path.hpp"
#include "ocipfs/image/image.hpp"

namespace ocipfs {

inline constexpr std::string_view verbatim_image_media_type =
    "application/vnd.ocipfs.image.verbatim.v1+json";
// Manifests, indexes and configs are fetched as documents: each at most this large.
inline constexpr std::size_t max_verbatim_blob_size = 1024 * 1024;
// Layer blobs over every platform of one image.
inline constexpr std::size_t max_verbatim_layers = 1024;
// Manifests (platforms) of one image.
inline constexpr std::size_t max_verbatim_manifests = 1024;

// The OCI and Docker media types of what a verbatim image's top descriptor and its index may
// name.
inline constexpr std::string_view docker_manifest_media_type =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view docker_manifest_list_media_type =
    "application/vnd.docker.distribution.manifest.list.v2+json";
// The config a Docker manifest names.
inline constexpr std::string_view docker_config_media_type =
    "application/vnd.docker.container.image.v1+json";

// An OCI descriptor: in a verbatim document, an OCI or Docker image index or manifest of at most
// max_verbatim_blob_size bytes.
struct VerbatimDescriptor {
  std::string media_type;
  std::string digest;  // "sha256:<64 lowercase hex>"
  std::uint64_t size = 0;

  friend bool operator==(const VerbatimDescriptor&, const VerbatimDescriptor&) = default;
};

struct VerbatimDocument {
  VerbatimDescriptor manifest;  // the image index or image manifest, as the source had it
  // Every layer blob of every manifest, by digest: the IPFS path of its bytes as stored
  // (a UnixFS file, as `ipfs add --cid-version=1 --raw-leaves` makes it), as written.
  std::map<std::string, std::string> layers;
  std::string tag;  // a tag besides latest, or empty
};

// True for the media types a verbatim image's top descriptor may have: OCI image index and
// manifest, Docker manifest list and manifest v2.
bool is_verbatim_manifest_type(std::string_view media_type);
bool is_index_media_type(std::string_view media_type);  // OCI index or Docker manifest list

// The raw CIDv1 (sha2-256) that names the bytes of a "sha256:<hex>" digest; the digest must be
// valid (is_sha256_digest).
Cid digest_cid(std::string_view digest);

// Parses and validates a verbatim document:
//   {"mediaType": verbatim_image_media_type,
//    "manifest": {"mediaType": ..., "digest": "sha256:...", "size": N},
//    "layers": {"sha256:...": "<CID>[/<segment>...]", ...},   // 0 to max_verbatim_layers
//    "tag": "..."}                                            // optional
// Unknown fields are ignored; errors name the field, as parse_image_document's do.
Expected<VerbatimDocument> parse_verbatim_document(std::string_view json);

// The document's canonical text, as `ocipfs import` stores it: keys in the order above, two-space
// indentation, a final newline. parse_verbatim_document of it gives `document` back.
std::string verbatim_document_json(const VerbatimDocument& document);

// The documents that `bytes` (what `descriptor` names, proven) links to and that ocipfsd fetches
// as documents: an index's entries; a manifest's config, with the media type the manifest gives
// it. A config links to nothing. The error says what is malformed, naming the digest.
Expected<std::vector<VerbatimDescriptor>> linked_documents(const VerbatimDescriptor& descriptor,
                                                           std::string_view bytes);

// The image a verbatim document keeps. `documents` holds the bytes of every index, manifest and
// config the document names, by digest, proven against their CIDs. They are served byte for byte
// with their own media types; the index (if the top is one) by tag, each manifest by digest, a
// linux/amd64 one (else the first) to clients that take no index; each layer is redirected to
// the path the document gives it. Pure. The error names the blob and the problem.
Expected<Image> verbatim_image(std::string cid, const VerbatimDocument& document,
                               const std::map<std::string, std::string>& documents);

}  // namespace ocipfs
